//! Public verification codes (to be written).

//! Archive-wide secrets kept in the store (to be written).

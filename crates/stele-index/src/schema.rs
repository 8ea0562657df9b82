//! The index schema: which record parts are indexed how, and which are stored for hits.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST, STORED,
    STRING,
};

use crate::analyzer;

/// Bumped whenever the schema or the analyzers change in a way that needs a rebuild.
pub const SCHEMA_VERSION: u32 = 2;

/// Field names (also the fast-field names the collectors read).
pub mod names {
    pub const ID: &str = "id";
    pub const TEXT: &str = "text";
    pub const FOLDED: &str = "folded";
    pub const SUBJECT: &str = "subject";
    pub const SUBJECT_EXACT: &str = "subject_exact";
    pub const NOTATION: &str = "notation";
    pub const BODY: &str = "body";
    pub const ORGAN_ID: &str = "organ_id";
    pub const ORGAN_NAME: &str = "organ_name";
    pub const TYPE_KEY: &str = "type_key";
    pub const TYPE_NAME: &str = "type_name";
    pub const NUMBER_NOTATION: &str = "number_notation";
    pub const ISSUED: &str = "issued";
    pub const YEAR: &str = "year";
    pub const SIGNER_KEY: &str = "signer_key";
    pub const SIGNER: &str = "signer";
    pub const CONF: &str = "conf";
    pub const RETENTION: &str = "retention";
    pub const FILE_NOTATION: &str = "file_notation";
}

/// Handles of every field.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Record id: the unique key (replace on re-add) and what hits return.
    pub id: Field,
    /// Exact (NFC, lowercase) words of subject, number/notation, type, organ, signers and body;
    /// rewards exact spellings. Frequencies only: phrases are matched on `folded`.
    pub text: Field,
    /// Folded words of the same content, with positions for phrases and for the adjacent-pair
    /// ranking (each two adjacent query words as a phrase). Every word query must match here;
    /// the other fields only add score.
    pub folded: Field,
    /// Folded subject and number/notation, boosted (and stored with the original subject).
    pub subject: Field,
    /// Exact words of the subject and number/notation, boosted for accented query words.
    pub subject_exact: Field,
    /// Keys of number and notation (`1500/ubnd-cntt`, `ubnd-cntt`, `1500`) for exact lookup.
    pub notation: Field,
    /// Stored text the snippets are cut from (not indexed).
    pub body: Field,
    pub organ_id: Field,
    pub organ_name: Field,
    pub type_key: Field,
    pub type_name: Field,
    pub number_notation: Field,
    /// Issue date as a Julian day number.
    pub issued: Field,
    pub year: Field,
    pub signer_key: Field,
    pub signer: Field,
    /// Confidentiality level 0..=3: the clearance filter reads this.
    pub conf: Field,
    pub retention: Field,
    pub file_notation: Field,
}

fn analyzed(tokenizer: &str, option: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(option),
    )
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let num = || NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: b.add_text_field(names::ID, STRING | STORED),
        text: b.add_text_field(
            names::TEXT,
            analyzed(analyzer::EXACT, IndexRecordOption::WithFreqs),
        ),
        folded: b.add_text_field(
            names::FOLDED,
            analyzed(analyzer::FOLDED, IndexRecordOption::WithFreqsAndPositions),
        ),
        subject: b.add_text_field(
            names::SUBJECT,
            analyzed(analyzer::FOLDED, IndexRecordOption::WithFreqs) | STORED,
        ),
        subject_exact: b.add_text_field(
            names::SUBJECT_EXACT,
            analyzed(analyzer::EXACT, IndexRecordOption::WithFreqs),
        ),
        notation: b.add_text_field(names::NOTATION, STRING),
        body: b.add_text_field(names::BODY, STORED),
        organ_id: b.add_text_field(names::ORGAN_ID, STRING | FAST | STORED),
        organ_name: b.add_text_field(names::ORGAN_NAME, STORED),
        type_key: b.add_text_field(names::TYPE_KEY, STRING),
        type_name: b.add_text_field(names::TYPE_NAME, FAST | STORED),
        number_notation: b.add_text_field(names::NUMBER_NOTATION, STORED),
        issued: b.add_i64_field(names::ISSUED, num().set_stored()),
        year: b.add_i64_field(names::YEAR, num()),
        signer_key: b.add_text_field(names::SIGNER_KEY, STRING),
        signer: b.add_text_field(names::SIGNER, FAST),
        conf: b.add_u64_field(names::CONF, num().set_stored()),
        retention: b.add_text_field(names::RETENTION, STRING | FAST),
        file_notation: b.add_text_field(names::FILE_NOTATION, STRING),
    };
    (b.build(), fields)
}

//! What the incremental updates after a signature changed (ISO 32000-1 7.5.6), and whether the
//! signer's DocMDP permissions allow it (ISO 32000-1 12.8.2.2; ETSI EN 319 142-1 §5.4).
//!
//! A signature covers one revision: `bytes[..revision_end]`. Everything after it was appended
//! later and can change what the document shows without touching a signed byte, since a
//! reader follows the newest cross-reference section. So the signed revision and the whole
//! file are both loaded, their objects compared (an object rewritten with the same content is
//! not a change; streams are compared by their decoded content when their encoding differs),
//! and every object that differs, appeared or vanished is classified by its role in the *final*
//! document:
//!
//! - `/DSS` and what it holds, and document timestamps: what PAdES adds to keep signatures
//!   verifiable (allowed at every DocMDP level);
//! - later signatures: their fields, values, widgets and appearances, `/Fields`, `/SigFlags`;
//! - form filling: non-signature field values and widget appearances;
//! - annotations other than widgets, and the page's `/Annots`;
//! - metadata (`/Info`, the XMP stream, the catalog's `/Version` and `/Extensions`);
//! - everything else (content streams, resources, the page tree, actions, fields added or
//!   removed, an earlier signature's dictionary): "modified after signing".
//!
//! The roles come from walking the final document the way a reader does (catalog → page tree →
//! pages → annotations; catalog → AcroForm → field tree → widgets, values, appearances; `/DSS`;
//! `/Info`; `/Metadata`), never from what an object says about itself alone. An object reached
//! two ways takes the stricter role (a font shared by a page and a signature appearance is page
//! content). Dictionaries where one key can be harmless and another not (the catalog,
//! AcroForm, pages, fields, widgets) are compared key by key. Objects nothing refers to any
//! more cannot change what is shown and are reported as `Unreferenced`.
//!
//! Every walk uses an explicit work list (no recursion over references) and counts against
//! [`PdfLimits::max_compared_objects`].

use std::collections::{BTreeSet, HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{load_document, ByteRangeError, PdfError, PdfLimits};

/// What a change after signing touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// An object no part of the final document refers to: it cannot change what is shown.
    Unreferenced,
    /// Document metadata: `/Info`, the XMP metadata stream, the catalog's `/Version` or
    /// `/Extensions`.
    Metadata,
    /// The document security store (`/DSS`, `/VRI`, certificates, CRLs, OCSP responses).
    Dss,
    /// A document timestamp: its field, widget and `/DocTimeStamp` dictionary.
    DocumentTimestamp,
    /// A later signature: its field, value, widget and appearance, AcroForm `/Fields` and
    /// `/SigFlags`.
    Signature,
    /// Form filling: values and widget appearances of non-signature fields.
    FormFill,
    /// Annotations other than form widgets, and the `/Annots` arrays holding them.
    Annotation,
    /// Anything else: page content, resources, the page tree, fields added or removed, an
    /// earlier signature's dictionary. "Modified after signing".
    Other,
}

impl ChangeKind {
    /// Whether a change of this kind is allowed after signing under DocMDP permissions `p`
    /// (`None`: the document is not certified). PAdES (ETSI EN 319 142-1 §5.4; ISO 32000-2
    /// 12.8.2.2.1) lets the DSS and document timestamps be added at every level; metadata and
    /// unreferenced objects do not change the document's content.
    fn permitted_by(self, p: Option<DocMdpPermissions>) -> bool {
        use DocMdpPermissions::*;
        match self {
            Self::Unreferenced | Self::Metadata | Self::Dss | Self::DocumentTimestamp => true,
            Self::Signature | Self::FormFill => p != Some(NoChanges),
            Self::Annotation => matches!(p, None | Some(FormFillSigningAndAnnotations)),
            Self::Other => false,
        }
    }
}

/// One object (or one key of a dictionary) that differs between the signed revision and the
/// final file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The object that changed (for a key of a direct dictionary: the object holding it).
    pub object: (u32, u16),
    /// One line for a person: "page 1 content stream 12 0 changed".
    pub description: String,
    /// Whether the permissions in force (DocMDP level, FieldMDP locks) allow it.
    pub permitted: bool,
}

/// The overall judgement of the changes after one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModificationVerdict {
    /// Nothing changed (the signature covers the whole file, or the updates after it change no
    /// object).
    None,
    /// Everything that changed is allowed: validation data, document timestamps, metadata,
    /// and the later signatures, form filling and annotations the DocMDP level permits.
    Allowed,
    /// Something changed that the signer did not allow: what is shown may not be what was
    /// signed.
    Modified,
}

/// DocMDP access permissions (`/P` of the transform parameters, ISO 32000-1 Table 254).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocMdpPermissions {
    /// P=1: no changes.
    NoChanges = 1,
    /// P=2: filling in forms, instantiating page templates and signing.
    FormFillAndSigning = 2,
    /// P=3: as 2, and annotation creation, deletion and modification.
    FormFillSigningAndAnnotations = 3,
}

/// The certification (DocMDP) in force for a signed revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocMdp {
    pub permissions: DocMdpPermissions,
    /// `/P` as written (`None` when absent, which means 2). A value other than 1, 2 or 3 is
    /// read as 1, the strictest.
    pub raw_p: Option<i64>,
    /// The certifying signature's dictionary.
    pub signature_dictionary: Option<(u32, u16)>,
}

/// Fields a FieldMDP transform locks (ISO 32000-1 Table 255).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldLockAction {
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

/// One FieldMDP lock of a signature in the signed revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldLock {
    pub signature_dictionary: Option<(u32, u16)>,
    pub action: FieldLockAction,
}

impl FieldLock {
    fn locks(&self, field: &str) -> bool {
        match &self.action {
            FieldLockAction::All => true,
            FieldLockAction::Include(names) => names.iter().any(|n| covers(n, field)),
            FieldLockAction::Exclude(names) => !names.iter().any(|n| covers(n, field)),
        }
    }
}

/// A lock on field `name` covers it and its descendants ("a.b" covers "a.b.c").
fn covers(name: &str, field: &str) -> bool {
    field == name
        || field
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// What changed after one signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modifications {
    /// The signature's index in [`super::PdfSignatures::signatures`].
    pub signature_index: usize,
    /// Where its signed revision ends.
    pub revision_end: usize,
    /// Every change, in object order.
    pub changes: Vec<Change>,
    /// The certification in force for the signed revision, if any.
    pub doc_mdp: Option<DocMdp>,
    /// FieldMDP locks of the signatures in the signed revision.
    pub field_locks: Vec<FieldLock>,
    /// lopdf had to rebuild the cross-reference data of the signed revision or of the final
    /// file: the objects compared may not be those a conforming reader sees.
    pub xref_repaired: bool,
    pub verdict: ModificationVerdict,
}

impl Modifications {
    /// For a signature that covers the whole file.
    pub(super) fn unchanged(signature_index: usize, revision_end: usize) -> Self {
        Self {
            signature_index,
            revision_end,
            changes: Vec::new(),
            doc_mdp: None,
            field_locks: Vec::new(),
            xref_repaired: false,
            verdict: ModificationVerdict::None,
        }
    }

    /// The changes of one kind.
    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    /// The kinds of change present, each once, mildest first.
    pub fn kinds(&self) -> BTreeSet<ChangeKind> {
        self.changes.iter().map(|c| c.kind).collect()
    }
}

/// Why the changes after a signature could not be determined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModificationError {
    #[error("there is no signature {0}")]
    NoSuchSignature(usize),
    #[error("these signatures were read from a {expected}-byte file, not this {len}-byte one")]
    OtherFile { expected: usize, len: usize },
    #[error("the signature's byte range is not valid, so its revision is unknown: {0}")]
    ByteRange(ByteRangeError),
    #[error("the signed revision cannot be read: {0}")]
    SignedRevision(PdfError),
    #[error("the file cannot be read: {0}")]
    File(PdfError),
    #[error("more than {0} objects to compare or walk")]
    TooManyObjects(usize),
}

/// Compares the revision ending at `revision_end` with `new`, the whole file already loaded.
pub(super) fn compare_revisions(
    bytes: &[u8],
    revision_end: usize,
    new: &Document,
    signature_index: usize,
    limits: &PdfLimits,
) -> Result<Modifications, ModificationError> {
    let old =
        load_document(&bytes[..revision_end], limits).map_err(ModificationError::SignedRevision)?;
    // Each walk of a revision and the comparison have a budget of their own.
    let budget = || Budget {
        left: limits.max_compared_objects,
        max: limits.max_compared_objects,
    };
    let old_roles = Roles::build(&old, &mut budget())?;
    let new_roles = Roles::build(new, &mut budget())?;
    let (doc_mdp, field_locks) = permissions(&old, &old_roles);
    let mut diff = Diff {
        old: &old,
        new,
        old_roles: &old_roles,
        new_roles: &new_roles,
        same: Same::new(&old, new, limits),
        handled: HashSet::new(),
        signing: None,
        out: Vec::new(),
    };
    diff.run(&mut budget())?;
    let p = doc_mdp.as_ref().map(|d| d.permissions);
    let changes: Vec<Change> = diff
        .out
        .into_iter()
        .map(|raw| {
            let locked = raw.kind == ChangeKind::FormFill
                && raw
                    .field
                    .as_deref()
                    .is_some_and(|f| field_locks.iter().any(|l| l.locks(f)));
            Change {
                permitted: raw.kind.permitted_by(p) && !locked,
                kind: raw.kind,
                object: raw.object,
                description: if locked {
                    format!("{} (the field is locked by FieldMDP)", raw.description)
                } else {
                    raw.description
                },
            }
        })
        .collect();
    let verdict = if changes.is_empty() {
        ModificationVerdict::None
    } else if changes.iter().all(|c| c.permitted) {
        ModificationVerdict::Allowed
    } else {
        ModificationVerdict::Modified
    };
    Ok(Modifications {
        signature_index,
        revision_end,
        changes,
        doc_mdp,
        field_locks,
        xref_repaired: old.xref_recovery.is_some() || new.xref_recovery.is_some(),
        verdict,
    })
}

/// A count of walk steps (an object reached, a tree node visited) or objects compared.
struct Budget {
    left: usize,
    max: usize,
}

impl Budget {
    fn tick(&mut self) -> Result<(), ModificationError> {
        self.left = self
            .left
            .checked_sub(1)
            .ok_or(ModificationError::TooManyObjects(self.max))?;
        Ok(())
    }
}

/// What a form field is, as far as changes to it go.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldInfo {
    /// The field dictionary (for a widget: its field's), if indirect.
    field: Option<ObjectId>,
    /// Fully qualified name, if it has one.
    name: Option<String>,
    is_signature: bool,
    /// `Signature`, `DocumentTimestamp` (a signature field whose value is a document
    /// timestamp) or `FormFill`.
    kind: ChangeKind,
}

impl FieldInfo {
    fn label(&self) -> String {
        let what = match self.kind {
            ChangeKind::DocumentTimestamp => "document timestamp field",
            _ if self.is_signature => "signature field",
            _ => "form field",
        };
        match &self.name {
            Some(n) => format!("{what} '{n}'"),
            None => format!("unnamed {what}"),
        }
    }
}

/// The structural role of an object: where a change must be looked at key by key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Plain,
    Catalog,
    AcroForm,
    FieldsArray,
    Page(usize),
    AnnotsArray(usize),
    Field(FieldInfo),
    Widget(FieldInfo),
    SignatureDictionary(FieldInfo),
}

impl Node {
    /// The kind a change to this node has when nothing stricter reaches it.
    fn natural_kind(&self) -> ChangeKind {
        match self {
            Node::Field(info) | Node::Widget(info) | Node::SignatureDictionary(info) => info.kind,
            _ => ChangeKind::Other,
        }
    }
}

#[derive(Clone, Debug)]
struct Role {
    kind: ChangeKind,
    /// A noun phrase: "page 1 content stream".
    what: String,
    node: Node,
    /// The form field whose value or appearance this is (for FieldMDP locks).
    field: Option<String>,
}

/// A signature field of a revision and its value.
#[derive(Clone, Debug)]
struct SignatureField {
    value: Option<ObjectId>,
}

/// Every object of one revision that a reader reaches, with its role.
struct Roles {
    roles: HashMap<ObjectId, Role>,
    /// Widget annotations (and fields merged with their widget) → their field.
    widgets: HashMap<ObjectId, FieldInfo>,
    /// Signature fields by object id.
    signature_fields: HashMap<ObjectId, SignatureField>,
    /// Signature dictionaries reached from the field tree.
    signature_dictionaries: Vec<ObjectId>,
    /// Objects of the AcroForm's default resources (`/DR`): fonts for field and signature
    /// appearances alike, so their kind depends on what the update did.
    default_resources: HashSet<ObjectId>,
    catalog: Option<ObjectId>,
    info: Option<ObjectId>,
}

/// Keys that point back up the structure (or at the catalog) rather than at what an object
/// owns; walking them would make everything reachable from everything.
const BACK_LINKS: &[&[u8]] = &[b"Parent", b"P", b"IRT", b"Data", b"Pg"];

/// Nesting of direct objects followed; lopdf's parser stops at 100.
const MAX_DIRECT_DEPTH: usize = 128;

struct RoleBuilder<'a, 'b> {
    doc: &'a Document,
    budget: &'b mut Budget,
    roles: Roles,
    /// (object, kind) pairs a subgraph walk has been through: an object is walked again only
    /// for a stricter kind.
    walked: HashSet<(ObjectId, ChangeKind)>,
    fields_seen: HashSet<ObjectId>,
    /// The objects the last subgraph walks marked (cleared by whoever needs the list).
    marked: Vec<ObjectId>,
}

impl Roles {
    fn build(doc: &Document, budget: &mut Budget) -> Result<Roles, ModificationError> {
        let mut b = RoleBuilder {
            doc,
            budget,
            roles: Roles {
                roles: HashMap::new(),
                widgets: HashMap::new(),
                signature_fields: HashMap::new(),
                signature_dictionaries: Vec::new(),
                default_resources: HashSet::new(),
                catalog: doc.trailer.get(b"Root").and_then(Object::as_reference).ok(),
                info: doc.trailer.get(b"Info").and_then(Object::as_reference).ok(),
            },
            walked: HashSet::new(),
            fields_seen: HashSet::new(),
            marked: Vec::new(),
        };
        b.walk_document()?;
        Ok(b.roles)
    }

    fn get(&self, id: ObjectId) -> Option<&Role> {
        self.roles.get(&id)
    }
}

impl<'a> RoleBuilder<'a, '_> {
    fn assign(
        &mut self,
        id: ObjectId,
        kind: ChangeKind,
        what: &str,
        node: Node,
        field: Option<&str>,
    ) {
        match self.roles.roles.get_mut(&id) {
            None => {
                self.roles.roles.insert(
                    id,
                    Role {
                        kind,
                        what: what.to_string(),
                        node,
                        field: field.map(str::to_string),
                    },
                );
            }
            Some(role) => {
                if kind > role.kind {
                    role.kind = kind;
                    role.what = what.to_string();
                    role.field = field.map(str::to_string);
                }
                if role.node == Node::Plain && node != Node::Plain {
                    role.node = node;
                }
            }
        }
    }

    fn dict(&self, obj: Option<&'a Object>) -> Option<(Option<ObjectId>, &'a Dictionary)> {
        let (id, obj) = self.doc.dereference(obj?).ok()?;
        obj.as_dict().ok().map(|d| (id, d))
    }

    fn array(&self, obj: Option<&'a Object>) -> Option<(Option<ObjectId>, &'a Vec<Object>)> {
        let (id, obj) = self.doc.dereference(obj?).ok()?;
        obj.as_array().ok().map(|a| (id, a))
    }

    fn walk_document(&mut self) -> Result<(), ModificationError> {
        let doc = self.doc;
        if let Some(info) = self.roles.info {
            let obj = Object::Reference(info);
            self.subgraph(
                &obj,
                ChangeKind::Metadata,
                "document information dictionary (/Info)",
                None,
            )?;
        }
        let Some(catalog_id) = self.roles.catalog else {
            return Ok(());
        };
        let Some(Object::Dictionary(catalog)) = doc.objects.get(&catalog_id) else {
            return Ok(());
        };
        self.assign(
            catalog_id,
            ChangeKind::Other,
            "document catalog",
            Node::Catalog,
            None,
        );
        // The field tree first: the page walk looks widgets up in it.
        if let Ok(acroform) = catalog.get(b"AcroForm") {
            self.acroform(acroform)?;
        }
        for (key, value) in catalog.iter() {
            match key.as_slice() {
                b"AcroForm" | b"Type" => {}
                b"Pages" => self.page_tree(value)?,
                b"DSS" => self.subgraph(
                    value,
                    ChangeKind::Dss,
                    "document security store (/DSS)",
                    None,
                )?,
                b"Metadata" => {
                    self.subgraph(value, ChangeKind::Metadata, "XMP metadata stream", None)?
                }
                b"Perms" => {
                    self.subgraph(value, ChangeKind::Signature, "permissions (/Perms)", None)?
                }
                other => {
                    let what = format!("catalog /{}", String::from_utf8_lossy(other));
                    self.subgraph(value, ChangeKind::Other, &what, None)?
                }
            }
        }
        // Whatever is still reachable but was not reached above (a page outside the page tree,
        // an object only behind a back link) counts as document content.
        self.fill_reachable(&Object::Reference(catalog_id))?;
        Ok(())
    }

    /// Marks everything `start` refers to (not `start` itself unless it is a reference) with
    /// `kind`, not following back links and not entering pages, page-tree nodes or the
    /// catalog, which have walks of their own.
    fn subgraph(
        &mut self,
        start: &Object,
        kind: ChangeKind,
        what: &str,
        field: Option<&str>,
    ) -> Result<(), ModificationError> {
        let mut work = Vec::new();
        references(start, &mut work, BACK_LINKS, 0);
        self.mark(work, kind, what, field)
    }

    /// [`Self::subgraph`] for what the values of `dict` refer to.
    fn subgraph_of_dict(
        &mut self,
        dict: &Dictionary,
        kind: ChangeKind,
        what: &str,
        field: Option<&str>,
    ) -> Result<(), ModificationError> {
        let mut work = Vec::new();
        dict_references(dict, &mut work, BACK_LINKS, 0);
        self.mark(work, kind, what, field)
    }

    fn mark(
        &mut self,
        mut work: Vec<ObjectId>,
        kind: ChangeKind,
        what: &str,
        field: Option<&str>,
    ) -> Result<(), ModificationError> {
        while let Some(id) = work.pop() {
            if !self.walked.insert((id, kind)) {
                continue;
            }
            self.budget.tick()?;
            match self.doc.objects.get(&id) {
                // Referenced but absent (deleted, or unreadable): its loss is a change of this
                // role.
                None => self.assign(id, kind, what, Node::Plain, field),
                Some(obj) => {
                    if is_owned_elsewhere(obj) {
                        continue;
                    }
                    self.assign(id, kind, what, Node::Plain, field);
                    references(obj, &mut work, BACK_LINKS, 0);
                }
            }
            self.marked.push(id);
        }
        Ok(())
    }

    /// Marks every object reachable from `start` that has no role yet as document content.
    fn fill_reachable(&mut self, start: &Object) -> Result<(), ModificationError> {
        let mut seen = HashSet::new();
        let mut work = Vec::new();
        references(start, &mut work, &[], 0);
        while let Some(id) = work.pop() {
            if !seen.insert(id) {
                continue;
            }
            self.budget.tick()?;
            if !self.roles.roles.contains_key(&id) {
                self.assign(
                    id,
                    ChangeKind::Other,
                    "object reachable from the catalog",
                    Node::Plain,
                    None,
                );
            }
            if let Some(obj) = self.doc.objects.get(&id) {
                references(obj, &mut work, &[], 0);
            }
        }
        Ok(())
    }

    fn page_tree(&mut self, root: &'a Object) -> Result<(), ModificationError> {
        let mut seen = HashSet::new();
        let mut number = 0;
        // Depth-first in document order: children pushed in reverse.
        let mut work: Vec<(&'a Object, usize)> = vec![(root, 0)];
        while let Some((node, depth)) = work.pop() {
            self.budget.tick()?;
            let Some((id, dict)) = self.dict(Some(node)) else {
                continue;
            };
            if let Some(id) = id {
                if !seen.insert(id) {
                    continue; // a /Kids loop or a page listed twice
                }
            }
            let is_pages =
                dict.has_type(b"Pages") || (dict.has(b"Kids") && !dict.has_type(b"Page"));
            if is_pages {
                if let Some(id) = id {
                    self.assign(id, ChangeKind::Other, "page tree node", Node::Plain, None);
                }
                for (key, value) in dict.iter() {
                    match key.as_slice() {
                        b"Parent" => {}
                        b"Kids" => {
                            if let Some((kids_id, kids)) = self.array(Some(value)) {
                                if let Some(kids_id) = kids_id {
                                    self.assign(
                                        kids_id,
                                        ChangeKind::Other,
                                        "page tree /Kids",
                                        Node::Plain,
                                        None,
                                    );
                                }
                                // 64 levels is far beyond any real page tree (lopdf allows 100).
                                if depth < 64 {
                                    work.extend(kids.iter().rev().map(|k| (k, depth + 1)));
                                }
                            }
                        }
                        other => {
                            let what =
                                format!("page tree node /{}", String::from_utf8_lossy(other));
                            self.subgraph(value, ChangeKind::Other, &what, None)?;
                        }
                    }
                }
                continue;
            }
            number += 1;
            if let Some(id) = id {
                self.assign(
                    id,
                    ChangeKind::Other,
                    &format!("page {number}"),
                    Node::Page(number),
                    None,
                );
            }
            for (key, value) in dict.iter() {
                match key.as_slice() {
                    b"Parent" | b"B" => {}
                    b"Annots" => self.annotations(value, number)?,
                    b"Contents" => self.subgraph(
                        value,
                        ChangeKind::Other,
                        &format!("page {number} content stream"),
                        None,
                    )?,
                    b"Resources" => self.subgraph(
                        value,
                        ChangeKind::Other,
                        &format!("page {number} resources"),
                        None,
                    )?,
                    other => {
                        let what = format!("page {number} /{}", String::from_utf8_lossy(other));
                        self.subgraph(value, ChangeKind::Other, &what, None)?
                    }
                }
            }
        }
        Ok(())
    }

    fn annotations(&mut self, annots: &'a Object, page: usize) -> Result<(), ModificationError> {
        let Some((array_id, items)) = self.array(Some(annots)) else {
            return Ok(());
        };
        if let Some(id) = array_id {
            self.assign(
                id,
                ChangeKind::Annotation,
                &format!("page {page} /Annots"),
                Node::AnnotsArray(page),
                None,
            );
        }
        for item in items {
            self.budget.tick()?;
            let Some((id, dict)) = self.dict(Some(item)) else {
                continue;
            };
            if is_widget(dict) {
                if id.is_some_and(|id| self.roles.widgets.contains_key(&id)) {
                    continue; // walked with its field
                }
                // A widget the field tree does not reach: judge it by the field its /Parent
                // chain names, or as an annotation if none.
                let info = self.field_of_orphan_widget(dict);
                self.widget(id, dict, &info)?;
            } else {
                let subtype = dict
                    .get(b"Subtype")
                    .and_then(Object::as_name)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_else(|_| "?".into());
                let what = format!("page {page} annotation (/{subtype})");
                if let Some(id) = id {
                    self.assign(id, ChangeKind::Annotation, &what, Node::Plain, None);
                }
                self.subgraph_of_dict(dict, ChangeKind::Annotation, &what, None)?;
            }
        }
        Ok(())
    }

    fn field_of_orphan_widget(&self, widget: &Dictionary) -> FieldInfo {
        let mut names = Vec::new();
        let mut ft = None;
        let mut node = Some(widget);
        for _ in 0..32 {
            let Some(dict) = node else { break };
            if ft.is_none() {
                ft = dict.get(b"FT").and_then(Object::as_name).ok();
            }
            if let Ok(t) = dict.get(b"T") {
                names.push(super::text(t));
            }
            node = self.dict(dict.get(b"Parent").ok()).map(|(_, d)| d);
        }
        names.reverse();
        let name = (!names.is_empty()).then(|| names.join("."));
        match ft {
            Some(b"Sig") => FieldInfo {
                field: None,
                name,
                is_signature: true,
                kind: ChangeKind::Signature,
            },
            Some(_) => FieldInfo {
                field: None,
                name,
                is_signature: false,
                kind: ChangeKind::FormFill,
            },
            // A widget of no field shows an appearance like any annotation.
            None => FieldInfo {
                field: None,
                name,
                is_signature: false,
                kind: ChangeKind::Annotation,
            },
        }
    }

    fn acroform(&mut self, acroform: &'a Object) -> Result<(), ModificationError> {
        let Some((id, dict)) = self.dict(Some(acroform)) else {
            return Ok(());
        };
        if let Some(id) = id {
            self.assign(
                id,
                ChangeKind::Other,
                "AcroForm dictionary",
                Node::AcroForm,
                None,
            );
        }
        for (key, value) in dict.iter() {
            match key.as_slice() {
                b"Fields" => {
                    let Some((fields_id, fields)) = self.array(Some(value)) else {
                        continue;
                    };
                    if let Some(fields_id) = fields_id {
                        self.assign(
                            fields_id,
                            ChangeKind::Other,
                            "AcroForm /Fields",
                            Node::FieldsArray,
                            None,
                        );
                    }
                    for field in fields {
                        self.field(field, None, None, 0)?;
                    }
                }
                b"DR" => {
                    self.marked.clear();
                    self.subgraph(
                        value,
                        ChangeKind::FormFill,
                        "AcroForm default resources",
                        None,
                    )?;
                    let reached = std::mem::take(&mut self.marked);
                    self.roles.default_resources.extend(reached);
                }
                other => {
                    let what = format!("AcroForm /{}", String::from_utf8_lossy(other));
                    self.subgraph(value, ChangeKind::Other, &what, None)?
                }
            }
        }
        Ok(())
    }

    fn field(
        &mut self,
        node: &'a Object,
        inherited_ft: Option<&'a [u8]>,
        parent_name: Option<&str>,
        depth: usize,
    ) -> Result<(), ModificationError> {
        self.budget.tick()?;
        // Deeper trees are refused when the signatures are read; here they are just not
        // followed further.
        if depth >= 32 {
            return Ok(());
        }
        let Some((id, dict)) = self.dict(Some(node)) else {
            return Ok(());
        };
        if let Some(id) = id {
            if !self.fields_seen.insert(id) {
                return Ok(());
            }
        }
        let ft = dict
            .get(b"FT")
            .and_then(Object::as_name)
            .ok()
            .or(inherited_ft);
        let partial = dict.get(b"T").ok().map(super::text);
        let name = match (parent_name, &partial) {
            (Some(p), Some(t)) => Some(format!("{p}.{t}")),
            (None, Some(t)) => Some(t.clone()),
            (Some(p), None) => Some(p.to_string()),
            (None, None) => None,
        };
        let is_signature = ft == Some(b"Sig".as_slice());
        let value = self.dict(dict.get(b"V").ok());
        let kind = match (is_signature, value) {
            (true, Some((_, v))) if is_document_timestamp(v) => ChangeKind::DocumentTimestamp,
            (true, _) => ChangeKind::Signature,
            (false, _) => ChangeKind::FormFill,
        };
        let info = FieldInfo {
            field: id,
            name: name.clone(),
            is_signature,
            kind,
        };
        let label = info.label();
        if let Some(id) = id {
            self.assign(id, kind, &label, Node::Field(info.clone()), name.as_deref());
            if is_widget(dict) {
                self.roles.widgets.insert(id, info.clone());
            }
            if is_signature {
                self.roles.signature_fields.insert(
                    id,
                    SignatureField {
                        value: value.and_then(|(v, _)| v),
                    },
                );
            }
        }
        for (key, v) in dict.iter() {
            match key.as_slice() {
                b"Parent" | b"P" | b"Kids" => {}
                b"V" if is_signature => {
                    if let Some((Some(sig_id), sig)) = value {
                        let what = format!("signature dictionary of {label}");
                        self.assign(
                            sig_id,
                            kind,
                            &what,
                            Node::SignatureDictionary(info.clone()),
                            None,
                        );
                        self.roles.signature_dictionaries.push(sig_id);
                        self.subgraph_of_dict(sig, kind, &what, None)?;
                    }
                }
                b"V" | b"DV" | b"RV" => {
                    let what = format!("value of {label}");
                    self.subgraph(v, kind, &what, name.as_deref())?
                }
                b"AP" | b"MK" | b"AS" => {
                    let what = format!("appearance of {label}");
                    self.subgraph(v, kind, &what, name.as_deref())?
                }
                b"Lock" | b"SV" => {
                    let what = format!("{label} /{}", String::from_utf8_lossy(key));
                    self.subgraph(v, ChangeKind::Signature, &what, None)?
                }
                other => {
                    let what = format!("{label} /{}", String::from_utf8_lossy(other));
                    self.subgraph(v, ChangeKind::Other, &what, None)?
                }
            }
        }
        if let Some((kids_id, kids)) = self.array(dict.get(b"Kids").ok()) {
            if let Some(kids_id) = kids_id {
                self.assign(
                    kids_id,
                    kind,
                    &format!("/Kids of {label}"),
                    Node::Plain,
                    name.as_deref(),
                );
            }
            for kid in kids {
                let Some((kid_id, kid_dict)) = self.dict(Some(kid)) else {
                    continue;
                };
                // A kid without a partial name that is a widget is this field's widget
                // (ISO 32000-1 12.7.3.1); anything else is a child field.
                if is_widget(kid_dict) && !kid_dict.has(b"T") && !kid_dict.has(b"Kids") {
                    if kid_id.is_some_and(|k| !self.fields_seen.insert(k)) {
                        continue;
                    }
                    self.widget(kid_id, kid_dict, &info)?;
                } else {
                    self.field(kid, ft, name.as_deref(), depth + 1)?;
                }
            }
        }
        Ok(())
    }

    fn widget(
        &mut self,
        id: Option<ObjectId>,
        dict: &'a Dictionary,
        info: &FieldInfo,
    ) -> Result<(), ModificationError> {
        let label = format!("widget of {}", info.label());
        if let Some(id) = id {
            self.assign(
                id,
                info.kind,
                &label,
                Node::Widget(info.clone()),
                info.name.as_deref(),
            );
            self.roles.widgets.insert(id, info.clone());
        }
        for (key, v) in dict.iter() {
            match key.as_slice() {
                b"Parent" | b"P" => {}
                b"AP" | b"MK" | b"AS" => {
                    let what = format!("appearance of {}", info.label());
                    self.subgraph(v, info.kind, &what, info.name.as_deref())?
                }
                other => {
                    let what = format!("{label} /{}", String::from_utf8_lossy(other));
                    self.subgraph(v, ChangeKind::Other, &what, None)?
                }
            }
        }
        Ok(())
    }
}

/// Pages, page-tree nodes and the catalog have walks of their own; other walks stop at them.
fn is_owned_elsewhere(obj: &Object) -> bool {
    match obj {
        Object::Dictionary(d) => {
            d.has_type(b"Page") || d.has_type(b"Pages") || d.has_type(b"Catalog")
        }
        _ => false,
    }
}

fn is_widget(dict: &Dictionary) -> bool {
    dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Widget".as_slice())
}

/// `/Type /DocTimeStamp`, or `/SubFilter /ETSI.RFC3161` in a dictionary of another type.
fn is_document_timestamp(sig: &Dictionary) -> bool {
    sig.has_type(b"DocTimeStamp")
        || sig.get(b"SubFilter").and_then(Object::as_name).ok() == Some(b"ETSI.RFC3161".as_slice())
}

/// Pushes the references inside `obj` (the object itself if it is one), skipping `skip` keys
/// of dictionaries.
fn references(obj: &Object, out: &mut Vec<ObjectId>, skip: &[&[u8]], depth: usize) {
    if depth > MAX_DIRECT_DEPTH {
        return;
    }
    match obj {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => {
            for item in items {
                references(item, out, skip, depth + 1);
            }
        }
        Object::Dictionary(dict) => dict_references(dict, out, skip, depth),
        Object::Stream(stream) => dict_references(&stream.dict, out, skip, depth),
        _ => {}
    }
}

fn dict_references(dict: &Dictionary, out: &mut Vec<ObjectId>, skip: &[&[u8]], depth: usize) {
    for (key, value) in dict.iter() {
        if !skip.contains(&key.as_slice()) {
            references(value, out, skip, depth + 1);
        }
    }
}

/// The DocMDP level and FieldMDP locks in force for a signed revision, from the signature
/// dictionaries it holds (`/Reference` transforms) and the catalog's `/Perms /DocMDP`.
fn permissions(doc: &Document, roles: &Roles) -> (Option<DocMdp>, Vec<FieldLock>) {
    let mut candidates: Vec<ObjectId> = roles.signature_dictionaries.clone();
    if let Some(perms) = roles
        .catalog
        .and_then(|c| doc.get_dictionary(c).ok())
        .and_then(|c| c.get(b"Perms").ok())
        .and_then(|p| doc.dereference(p).ok())
        .and_then(|(_, p)| p.as_dict().ok())
    {
        if let Ok(Object::Reference(id)) = perms.get(b"DocMDP") {
            candidates.insert(0, *id);
        }
    }
    let mut doc_mdp: Option<DocMdp> = None;
    let mut locks = Vec::new();
    let mut seen = HashSet::new();
    for sig_id in candidates {
        if !seen.insert(sig_id) {
            continue;
        }
        let Ok(sig) = doc.get_dictionary(sig_id) else {
            continue;
        };
        let Some(references) = sig
            .get(b"Reference")
            .ok()
            .and_then(|r| doc.dereference(r).ok())
            .and_then(|(_, r)| r.as_array().ok())
        else {
            continue;
        };
        for reference in references.iter().take(16) {
            let Some(reference) = doc
                .dereference(reference)
                .ok()
                .and_then(|(_, r)| r.as_dict().ok())
            else {
                continue;
            };
            let params = reference
                .get(b"TransformParams")
                .ok()
                .and_then(|p| doc.dereference(p).ok())
                .and_then(|(_, p)| p.as_dict().ok());
            match reference.get(b"TransformMethod").and_then(Object::as_name) {
                Ok(b"DocMDP") => {
                    let raw_p = params
                        .and_then(|p| p.get(b"P").ok())
                        .and_then(|p| p.as_i64().ok());
                    let permissions = match raw_p {
                        None | Some(2) => DocMdpPermissions::FormFillAndSigning,
                        Some(3) => DocMdpPermissions::FormFillSigningAndAnnotations,
                        // 1, or a value the standard does not define: the strictest reading.
                        Some(_) => DocMdpPermissions::NoChanges,
                    };
                    // One certification is allowed; if a file has more, the strictest holds.
                    if doc_mdp.as_ref().is_none_or(|d| permissions < d.permissions) {
                        doc_mdp = Some(DocMdp {
                            permissions,
                            raw_p,
                            signature_dictionary: Some(sig_id),
                        });
                    }
                }
                Ok(b"FieldMDP") => {
                    let Some(params) = params else { continue };
                    let names = || -> Vec<String> {
                        params
                            .get(b"Fields")
                            .ok()
                            .and_then(|f| doc.dereference(f).ok())
                            .and_then(|(_, f)| f.as_array().ok())
                            .map(|a| a.iter().take(10_000).map(super::text).collect())
                            .unwrap_or_default()
                    };
                    let action = match params.get(b"Action").and_then(Object::as_name) {
                        Ok(b"All") => FieldLockAction::All,
                        Ok(b"Include") => FieldLockAction::Include(names()),
                        Ok(b"Exclude") => FieldLockAction::Exclude(names()),
                        _ => continue,
                    };
                    locks.push(FieldLock {
                        signature_dictionary: Some(sig_id),
                        action,
                    });
                }
                _ => {}
            }
        }
    }
    (doc_mdp, locks)
}

/// A change before the permissions are applied.
struct RawChange {
    kind: ChangeKind,
    object: ObjectId,
    description: String,
    field: Option<String>,
}

struct Diff<'a> {
    old: &'a Document,
    new: &'a Document,
    old_roles: &'a Roles,
    new_roles: &'a Roles,
    same: Same<'a>,
    /// New objects already judged as part of their holder (a replaced catalog, a new
    /// `/Annots` or `/Fields` array, a new AcroForm dictionary).
    handled: HashSet<ObjectId>,
    /// See [`Diff::signing_kind`].
    signing: Option<Option<ChangeKind>>,
    out: Vec<RawChange>,
}

fn id_text(id: ObjectId) -> String {
    format!("{} {}", id.0, id.1)
}

fn key_text(key: &[u8]) -> String {
    format!("/{}", String::from_utf8_lossy(key))
}

impl<'a> Diff<'a> {
    fn push(
        &mut self,
        kind: ChangeKind,
        object: ObjectId,
        description: String,
        field: Option<&str>,
    ) {
        self.out.push(RawChange {
            kind,
            object,
            description,
            field: field.map(str::to_string),
        });
    }

    fn run(&mut self, budget: &mut Budget) -> Result<(), ModificationError> {
        let (old, new) = (self.old, self.new);
        if old.encryption_state.is_some() != new.encryption_state.is_some() {
            let id = self.new_roles.catalog.unwrap_or((0, 0));
            self.push(
                ChangeKind::Other,
                id,
                "the file's encryption was added or removed after signing".into(),
                None,
            );
        }
        let (old_root, new_root) = (self.old_roles.catalog, self.new_roles.catalog);
        if old_root != new_root {
            if let Some(new_root) = new_root {
                self.handled.insert(new_root);
                self.push(
                    ChangeKind::Other,
                    new_root,
                    format!(
                        "the trailer names another object ({}) as the document catalog",
                        id_text(new_root)
                    ),
                    None,
                );
                // Compare the two catalogs' contents as well, so the report says what differs.
                if let (Some(o), Ok(n)) = (
                    old_root.and_then(|r| old.get_dictionary(r).ok()),
                    new.get_dictionary(new_root),
                ) {
                    self.catalog(new_root, o, n);
                }
            }
        }
        if self.old_roles.info != self.new_roles.info {
            if let Some(info) = self.new_roles.info.or(self.old_roles.info) {
                self.push(
                    ChangeKind::Metadata,
                    info,
                    "the trailer's /Info now names another dictionary".into(),
                    None,
                );
            }
        }
        // Changed and deleted objects first: comparing their holders marks the new containers
        // they judge, so that the second pass does not report those again.
        let mut added = Vec::new();
        let ids: BTreeSet<ObjectId> = old
            .objects
            .keys()
            .chain(new.objects.keys())
            .copied()
            .collect();
        for id in ids {
            budget.tick()?;
            match (old.objects.get(&id), new.objects.get(&id)) {
                (Some(o), Some(n)) => {
                    if !self.same.equal(o, n) {
                        self.changed(id, o, n);
                    }
                }
                (None, Some(n)) => added.push((id, n)),
                (Some(o), None) => self.removed(id, o),
                (None, None) => {}
            }
        }
        for (id, n) in added {
            if !self.handled.contains(&id) && !self.same.copies.contains(&id) {
                self.added(id, n);
            }
        }
        Ok(())
    }

    /// Cross-reference and object streams are how a revision is stored, not what it says;
    /// unreferenced ones are not worth a line.
    fn is_storage(obj: &Object) -> bool {
        matches!(obj, Object::Stream(s) if s.dict.has_type(b"XRef") || s.dict.has_type(b"ObjStm"))
    }

    fn changed(&mut self, id: ObjectId, old: &'a Object, new: &'a Object) {
        let Some(role) = self.new_roles.get(id) else {
            if !Self::is_storage(new) {
                self.push(
                    ChangeKind::Unreferenced,
                    id,
                    format!(
                        "object {} changed, but nothing in the document refers to it",
                        id_text(id)
                    ),
                    None,
                );
            }
            return;
        };
        let role = role.clone();
        // Reached from somewhere stricter than its own role (a field dictionary also used as
        // page resources): judged as a whole by the stricter role.
        let stricter = role.kind > role.node.natural_kind();
        match (&role.node, old, new) {
            (Node::Catalog, Object::Dictionary(o), Object::Dictionary(n)) => {
                // A former catalog the trailer no longer names was handled with the trailer.
                if self.old_roles.catalog == Some(id) {
                    self.catalog(id, o, n);
                }
            }
            (Node::AcroForm, Object::Dictionary(o), Object::Dictionary(n)) if !stricter => {
                self.acroform(id, Some(o), Some(n))
            }
            (Node::Page(number), Object::Dictionary(o), Object::Dictionary(n)) => {
                self.page(id, *number, o, n)
            }
            (Node::AnnotsArray(page), Object::Array(o), Object::Array(n)) if !stricter => {
                self.annots(id, *page, o, n)
            }
            (Node::FieldsArray, Object::Array(o), Object::Array(n)) if !stricter => {
                self.fields(id, o, n)
            }
            (
                Node::Field(info) | Node::Widget(info),
                Object::Dictionary(o),
                Object::Dictionary(n),
            ) if !stricter => self.field(id, info, o, n),
            (Node::SignatureDictionary(info), _, _) => self.push(
                ChangeKind::Other,
                id,
                format!(
                    "the signature dictionary {} of {} was changed after it was signed",
                    id_text(id),
                    info.label()
                ),
                None,
            ),
            _ => {
                let kind = self.kind_of(id, &role);
                self.push(
                    kind,
                    id,
                    format!("{} {} changed", role.what, id_text(id)),
                    role.field.as_deref(),
                )
            }
        }
    }

    fn added(&mut self, id: ObjectId, new: &'a Object) {
        let Some(role) = self.new_roles.get(id) else {
            if !Self::is_storage(new) {
                self.push(
                    ChangeKind::Unreferenced,
                    id,
                    format!(
                        "object {} added, but nothing in the document refers to it",
                        id_text(id)
                    ),
                    None,
                );
            }
            return;
        };
        let role = role.clone();
        let stricter = role.kind > role.node.natural_kind();
        // A container its holder did not judge (the holder still refers to it by the same
        // number, which named nothing when signed): compare it with nothing.
        match (&role.node, new) {
            (Node::AcroForm, Object::Dictionary(n)) if !stricter => {
                self.acroform(id, None, Some(n))
            }
            (Node::AnnotsArray(page), Object::Array(n)) if !stricter => {
                self.annots(id, *page, &[], n)
            }
            (Node::FieldsArray, Object::Array(n)) if !stricter => self.fields(id, &[], n),
            _ => {
                let kind = self.kind_of(id, &role);
                self.push(
                    kind,
                    id,
                    format!("{} {} added", role.what, id_text(id)),
                    role.field.as_deref(),
                )
            }
        }
    }

    fn removed(&mut self, id: ObjectId, old: &Object) {
        match self.new_roles.get(id) {
            // Still referred to: the reference now reads as null.
            Some(role) => {
                let role = role.clone();
                self.push(
                    role.kind.max(role.node.natural_kind()),
                    id,
                    format!(
                        "{} {} deleted while still referred to",
                        role.what,
                        id_text(id)
                    ),
                    role.field.as_deref(),
                );
            }
            None if !Self::is_storage(old) => self.push(
                ChangeKind::Unreferenced,
                id,
                format!(
                    "object {} deleted; nothing refers to it any more",
                    id_text(id)
                ),
                None,
            ),
            None => {}
        }
    }

    /// Resolves `obj` in the new revision and, if it names an object that did not exist when
    /// signed, records it as judged here.
    fn take_new(&mut self, obj: Option<&'a Object>) -> Option<(Option<ObjectId>, &'a Object)> {
        let (id, found) = self.new.dereference(obj?).ok()?;
        if let Some(id) = id {
            if !self.old.objects.contains_key(&id) {
                self.handled.insert(id);
            }
        }
        Some((id, found))
    }

    fn old_array(&self, obj: Option<&Object>) -> Vec<Object> {
        obj.and_then(|o| self.old.dereference(o).ok())
            .and_then(|(_, o)| o.as_array().ok())
            .cloned()
            .unwrap_or_default()
    }

    /// The catalog, key by key.
    fn catalog(&mut self, id: ObjectId, old: &Dictionary, new: &'a Dictionary) {
        for key in union_keys(old, new) {
            let (o, n) = (old.get(&key).ok(), new.get(&key).ok());
            if self.same.options(o, n) {
                continue;
            }
            let verb = verb(o, n);
            match key.as_slice() {
                b"DSS" => self.push(ChangeKind::Dss, id, format!("catalog /DSS {verb}"), None),
                b"Metadata" | b"Version" | b"Extensions" => self.push(
                    ChangeKind::Metadata,
                    id,
                    format!("catalog {} {verb}", key_text(&key)),
                    None,
                ),
                b"AcroForm" => {
                    let o = o
                        .and_then(|o| self.old.dereference(o).ok())
                        .and_then(|(_, o)| o.as_dict().ok())
                        .cloned();
                    match self.take_new(n) {
                        Some((nid, Object::Dictionary(n))) => {
                            self.acroform(nid.unwrap_or(id), o.as_ref(), Some(n))
                        }
                        _ => self.acroform(id, o.as_ref(), None),
                    }
                }
                _ => self.push(
                    ChangeKind::Other,
                    id,
                    format!("catalog {} {verb}", key_text(&key)),
                    None,
                ),
            }
        }
    }

    /// What the updates signed: `Some(DocumentTimestamp)` when every signature field given a
    /// value is a document timestamp, `Some(Signature)` when any is a signature, `None` when
    /// nothing was signed. Computed once.
    fn signing_kind(&mut self) -> Option<ChangeKind> {
        if let Some(kind) = self.signing {
            return kind;
        }
        let kinds: Vec<ChangeKind> = self
            .new_roles
            .signature_fields
            .iter()
            .filter(|(id, f)| {
                f.value.is_some()
                    && self
                        .old_roles
                        .signature_fields
                        .get(id)
                        .is_none_or(|old| old.value != f.value)
            })
            .filter_map(|(id, _)| match &self.new_roles.get(*id)?.node {
                Node::Field(info) => Some(info.kind),
                _ => None,
            })
            .collect();
        let kind = if kinds.is_empty() {
            None
        } else if kinds.iter().all(|k| *k == ChangeKind::DocumentTimestamp) {
            Some(ChangeKind::DocumentTimestamp)
        } else {
            Some(ChangeKind::Signature)
        };
        self.signing = Some(kind);
        kind
    }

    /// The kind of a change to `id` with `role`: the role's, except that the AcroForm's
    /// default resources belong to the signing when the updates signed something and changed
    /// no field value (their fonts then serve the new signature appearances).
    fn kind_of(&mut self, id: ObjectId, role: &Role) -> ChangeKind {
        if role.kind == ChangeKind::FormFill && self.new_roles.default_resources.contains(&id) {
            return self.resources_kind();
        }
        role.kind
    }

    fn resources_kind(&mut self) -> ChangeKind {
        self.signing_kind().unwrap_or(ChangeKind::FormFill)
    }

    fn acroform(&mut self, id: ObjectId, old: Option<&Dictionary>, new: Option<&'a Dictionary>) {
        let Some(new) = new else {
            self.push(
                ChangeKind::Other,
                id,
                "the AcroForm dictionary was removed".into(),
                None,
            );
            return;
        };
        let empty = Dictionary::new();
        let old = old.unwrap_or(&empty);
        for key in union_keys(old, new) {
            let (o, n) = (old.get(&key).ok(), new.get(&key).ok());
            if self.same.options(o, n) {
                continue;
            }
            let verb = verb(o, n);
            match key.as_slice() {
                b"Fields" => {
                    let o = self.old_array(o);
                    match self.take_new(n) {
                        Some((_, Object::Array(n))) => self.fields(id, &o, n),
                        _ => self.push(
                            ChangeKind::Other,
                            id,
                            format!("AcroForm /Fields {verb}"),
                            None,
                        ),
                    }
                }
                b"SigFlags" => {
                    let kind = self.signing_kind().unwrap_or(ChangeKind::Signature);
                    self.push(kind, id, format!("AcroForm /SigFlags {verb}"), None)
                }
                b"DR" | b"DA" | b"NeedAppearances" | b"Q" => {
                    let kind = self.resources_kind();
                    self.push(
                        kind,
                        id,
                        format!("AcroForm {} {verb}", key_text(&key)),
                        None,
                    )
                }
                _ => self.push(
                    ChangeKind::Other,
                    id,
                    format!("AcroForm {} {verb}", key_text(&key)),
                    None,
                ),
            }
        }
    }

    /// `/Fields` of the AcroForm: fields added and removed.
    fn fields(&mut self, id: ObjectId, old: &[Object], new: &[Object]) {
        for added in new.iter().filter(|n| !old.contains(n)) {
            let role = added
                .as_reference()
                .ok()
                .and_then(|r| self.new_roles.get(r));
            let (kind, what) = match role.map(|r| &r.node) {
                Some(Node::Field(info)) if info.is_signature => (info.kind, info.label()),
                Some(Node::Field(info)) => (ChangeKind::Other, info.label()),
                _ => (ChangeKind::Other, "an entry".to_string()),
            };
            self.push(kind, id, format!("{what} added to AcroForm /Fields"), None);
        }
        for removed in old.iter().filter(|o| !new.contains(o)) {
            let label = removed
                .as_reference()
                .ok()
                .and_then(|r| self.old_roles.get(r))
                .and_then(|r| match &r.node {
                    Node::Field(info) => Some(info.label()),
                    _ => None,
                })
                .unwrap_or_else(|| "a field".into());
            self.push(
                ChangeKind::Other,
                id,
                format!("{label} removed from AcroForm /Fields"),
                None,
            );
        }
    }

    fn page(&mut self, id: ObjectId, number: usize, old: &Dictionary, new: &'a Dictionary) {
        for key in union_keys(old, new) {
            let (o, n) = (old.get(&key).ok(), new.get(&key).ok());
            if self.same.options(o, n) {
                continue;
            }
            if key == b"Annots" {
                let o = self.old_array(o);
                match self.take_new(n) {
                    Some((_, Object::Array(n))) => self.annots(id, number, &o, n),
                    _ => self.annots(id, number, &o, &[]),
                }
                continue;
            }
            let verb = verb(o, n);
            self.push(
                ChangeKind::Other,
                id,
                format!("page {number} {} {verb}", key_text(&key)),
                None,
            );
        }
    }

    /// A page's `/Annots`: annotations added and removed.
    fn annots(&mut self, id: ObjectId, page: usize, old: &[Object], new: &[Object]) {
        for added in new.iter().filter(|n| !old.contains(n)) {
            let role = added
                .as_reference()
                .ok()
                .and_then(|r| self.new_roles.get(r));
            let (kind, what) = match role.map(|r| (&r.node, r)) {
                Some((Node::Field(info) | Node::Widget(info), _)) => match info.kind {
                    // A new widget of a form field: a field (or a widget) was added.
                    ChangeKind::FormFill => {
                        (ChangeKind::Other, format!("widget of {}", info.label()))
                    }
                    kind => (kind, format!("widget of {}", info.label())),
                },
                Some((_, role)) => (role.kind, role.what.clone()),
                None => (ChangeKind::Annotation, "an annotation".to_string()),
            };
            self.push(
                kind,
                id,
                format!("{what} added to page {page} /Annots"),
                None,
            );
        }
        for removed in old.iter().filter(|o| !new.contains(o)) {
            let widget = self
                .old
                .dereference(removed)
                .ok()
                .and_then(|(_, o)| o.as_dict().ok())
                .is_some_and(is_widget);
            let (kind, what) = if widget {
                (ChangeKind::Other, "a form widget")
            } else {
                (ChangeKind::Annotation, "an annotation")
            };
            self.push(
                kind,
                id,
                format!("{what} removed from page {page} /Annots"),
                None,
            );
        }
    }

    /// A field or widget dictionary, key by key.
    fn field(&mut self, id: ObjectId, info: &FieldInfo, old: &Dictionary, new: &Dictionary) {
        let label = info.label();
        // Signed when the signature was made: the dictionary had a value then (for a widget
        // of its own, the field it belongs to had).
        let signed_before = info.is_signature
            && (old.get(b"V").is_ok_and(|v| !matches!(v, Object::Null))
                || info
                    .field
                    .and_then(|f| self.old_roles.signature_fields.get(&f))
                    .is_some_and(|f| f.value.is_some()));
        for key in union_keys(old, new) {
            let (o, n) = (old.get(&key).ok(), new.get(&key).ok());
            if self.same.options(o, n) {
                continue;
            }
            let verb = verb(o, n);
            let description = format!("{label} {} {verb}", key_text(&key));
            let kind = match (info.is_signature, key.as_slice()) {
                (true, b"V") if signed_before => {
                    let what =
                        format!("the value of {label}, signed before, was replaced or removed");
                    self.push(ChangeKind::Other, id, what, None);
                    continue;
                }
                // Changing how an earlier signature looks can make it show something else.
                (true, b"AP" | b"AS" | b"MK") if signed_before => ChangeKind::Other,
                (
                    true,
                    b"V" | b"AP" | b"AS" | b"MK" | b"Lock" | b"SV" | b"Ff" | b"F" | b"P" | b"DA",
                ) => info.kind,
                (false, b"V" | b"AS" | b"AP" | b"RV" | b"DV" | b"MK" | b"F" | b"Ff") => info.kind,
                _ => ChangeKind::Other,
            };
            self.push(kind, id, description, info.name.as_deref());
        }
    }
}

fn union_keys(a: &Dictionary, b: &Dictionary) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = a.iter().map(|(k, _)| k.clone()).collect();
    for (k, _) in b.iter() {
        if !a.has(k) {
            keys.push(k.clone());
        }
    }
    keys
}

fn verb(old: Option<&Object>, new: Option<&Object>) -> &'static str {
    match (old, new) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ => "changed",
    }
}

/// Whether two objects, one from each revision, say the same thing.
///
/// References to the same object are equal (whether that object changed is a change of its
/// own). References to different objects, or a reference and a direct value, are equal when
/// what they name is: producers often rewrite a dictionary under a new number with the same
/// content (a page's `/Resources` copied to a new object), which changes nothing. Reference
/// cycles are compared coinductively (a pair under comparison is assumed equal until shown
/// otherwise). Streams are equal when their dictionaries agree (`/Length` aside) and their
/// bytes, or else their decoded contents, are equal. All of it is bounded; past a bound the
/// objects count as different, since reporting a change is the safe side.
struct Same<'a> {
    old: &'a Document,
    new: &'a Document,
    /// Bytes left for decoding streams to compare them.
    decode_left: usize,
    per_stream: usize,
    /// Pairs of distinct objects left to compare.
    pairs_left: usize,
    proven: HashSet<(ObjectId, ObjectId)>,
    in_progress: HashSet<(ObjectId, ObjectId)>,
    tentative: Vec<(ObjectId, ObjectId)>,
    /// New objects shown to be copies of old ones: their appearance is no change.
    copies: HashSet<ObjectId>,
}

impl<'a> Same<'a> {
    fn new(old: &'a Document, new: &'a Document, limits: &PdfLimits) -> Self {
        Same {
            old,
            new,
            decode_left: limits.max_decompressed_stream_len.saturating_mul(4),
            per_stream: limits.max_decompressed_stream_len,
            pairs_left: limits.max_compared_objects,
            proven: HashSet::new(),
            in_progress: HashSet::new(),
            tentative: Vec::new(),
            copies: HashSet::new(),
        }
    }

    /// `a` (of the signed revision) and `b` (of the final file) say the same.
    fn equal(&mut self, a: &Object, b: &Object) -> bool {
        self.tentative.clear();
        let same = self.objects(a, b, 0);
        // Pairs shown equal under the assumptions of a comparison that failed may not be.
        let tentative = std::mem::take(&mut self.tentative);
        if same {
            for (x, y) in tentative {
                self.proven.insert((x, y));
                if !self.old.objects.contains_key(&y) {
                    self.copies.insert(y);
                }
            }
        }
        same
    }

    fn options(&mut self, a: Option<&Object>, b: Option<&Object>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => self.equal(a, b),
            // An absent key and a null value mean the same (ISO 32000-1 7.3.7).
            (Some(Object::Null), None) | (None, Some(Object::Null)) => true,
            _ => false,
        }
    }

    fn objects(&mut self, a: &Object, b: &Object, depth: usize) -> bool {
        if depth > MAX_DIRECT_DEPTH {
            return false;
        }
        match (a, b) {
            (Object::Reference(x), Object::Reference(y)) if x == y => true,
            (Object::Reference(x), Object::Reference(y)) => self.pair(*x, *y, depth),
            (Object::Reference(x), b) => {
                // A reference to nothing is null (ISO 32000-1 7.3.10).
                let a = self.old.objects.get(x).unwrap_or(&Object::Null);
                !matches!(a, Object::Reference(_)) && self.objects(a, b, depth + 1)
            }
            (a, Object::Reference(y)) => {
                let b = self.new.objects.get(y).unwrap_or(&Object::Null);
                !matches!(b, Object::Reference(_)) && self.objects(a, b, depth + 1)
            }
            (Object::Null, Object::Null) => true,
            (Object::Boolean(x), Object::Boolean(y)) => x == y,
            (Object::Integer(x), Object::Integer(y)) => x == y,
            (Object::Real(x), Object::Real(y)) => x == y,
            (Object::Integer(x), Object::Real(y)) | (Object::Real(y), Object::Integer(x)) => {
                *x as f32 == *y
            }
            (Object::Name(x), Object::Name(y)) => x == y,
            // Literal or hex, the string is the same bytes.
            (Object::String(x, _), Object::String(y, _)) => x == y,
            (Object::Array(x), Object::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| self.objects(x, y, depth + 1))
            }
            (Object::Dictionary(x), Object::Dictionary(y)) => self.dicts(x, y, &[], depth),
            (Object::Stream(x), Object::Stream(y)) => {
                if x.content == y.content && self.dicts(&x.dict, &y.dict, &[b"Length"], depth) {
                    return true;
                }
                if !self.dicts(
                    &x.dict,
                    &y.dict,
                    &[b"Length", b"Filter", b"DecodeParms"],
                    depth,
                ) {
                    return false;
                }
                // Same dictionary, other encoding: compare what the streams decode to.
                let cap = self.per_stream.min(self.decode_left);
                let (Ok(dx), Ok(dy)) = (
                    x.get_plain_content_with_limit(cap),
                    y.get_plain_content_with_limit(cap),
                ) else {
                    return false;
                };
                self.decode_left = self.decode_left.saturating_sub(dx.len() + dy.len());
                dx == dy
            }
            _ => false,
        }
    }

    /// Old object `x` and new object `y`, different numbers.
    fn pair(&mut self, x: ObjectId, y: ObjectId, depth: usize) -> bool {
        if self.proven.contains(&(x, y)) || self.in_progress.contains(&(x, y)) {
            return true;
        }
        if self.pairs_left == 0 {
            return false;
        }
        self.pairs_left -= 1;
        let (Some(a), Some(b)) = (self.old.objects.get(&x), self.new.objects.get(&y)) else {
            // One names nothing (null); equal only if the other does too, or is null.
            let a = self.old.objects.get(&x).unwrap_or(&Object::Null);
            let b = self.new.objects.get(&y).unwrap_or(&Object::Null);
            return matches!((a, b), (Object::Null, Object::Null));
        };
        self.in_progress.insert((x, y));
        let same = self.objects(a, b, depth + 1);
        self.in_progress.remove(&(x, y));
        if same {
            self.tentative.push((x, y));
        }
        same
    }

    fn dicts(&mut self, x: &Dictionary, y: &Dictionary, ignore: &[&[u8]], depth: usize) -> bool {
        let relevant = |d: &Dictionary| {
            d.iter()
                .filter(|(k, _)| !ignore.contains(&k.as_slice()))
                .count()
        };
        if relevant(x) != relevant(y) {
            return false;
        }
        x.iter()
            .filter(|(k, _)| !ignore.contains(&k.as_slice()))
            .all(|(k, v)| y.get(k).is_ok_and(|w| self.objects(v, w, depth + 1)))
    }
}

#[cfg(test)]
mod tests;

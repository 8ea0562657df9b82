//! Reading order of a page the way `pdftotext` finds it in its default mode: glyphs make words
//! (runs drawn next to each other), words make blocks (lines of like-sized text stacked closely
//! and overlapping horizontally, so each column of a multi-column page, each table cell and each
//! signature stamp is a block of its own), and blocks are put in reading order by the two rules
//! of Breuel's "High Performance Document Layout Analysis" (2003): a block that overlaps another
//! horizontally and lies above it comes first; a block wholly left of another comes first unless
//! a third one lies between them in that order.
//!
//! The analysis is quadratic in words per line and cubic in blocks at worst, so it runs on a
//! work allowance; a page that exhausts it (hostile, or a huge table) is read as one block,
//! line by line across the page, which is what the caller does anyway for a single block.

use super::Glyph;

/// Steps of analysis allowed per page before falling back to one block.
const MAX_WORK: u64 = 30_000_000;
/// Words of a page above which the analysis is not attempted.
const MAX_WORDS: usize = 100_000;

// Poppler's TextOutputDev parameters, as fractions of the font size.
/// A gap wider than this starts a new word.
const WORD_BREAK_SPACE: f32 = 0.1;
/// An overlap deeper than this starts a new word.
const WORD_BREAK_OVERLAP: f32 = 0.2;
/// Baselines of consecutive lines of a block are at most this far apart.
const LINE_SPACING: f32 = 1.5;
/// Font sizes of lines added above or below a block differ by less than this.
const FONT_DELTA_LINES: f32 = 0.05;
/// … of words added on the block's own lines.
const FONT_DELTA_OVERLAP: f32 = 0.6;
/// … of outlying words pulled in from the sides.
const FONT_DELTA_SIDES: f32 = 0.2;
/// Words whose baseline is this close to a block's lines are on those lines.
const INTRA_LINE: f32 = 0.5;
/// Words this close to a block horizontally, on its lines, join it.
const COL_SPACE_NEAR: f32 = 0.3;
/// Outlying words closer than this (at most three of them) join a block.
const COL_SPACE_FAR: f32 = 1.0;
/// Baselines are bucketed by this many points to find "lines" of the pool, as Poppler does.
const POOL_STEP: f32 = 4.0;

struct Word {
    /// Glyph indices (draw order; spaces drawn after the word included).
    first: usize,
    last: usize,
    x_min: f32,
    x_max: f32,
    /// Baseline, growing downwards (the negated PDF y).
    base: f32,
    size: f32,
    ascent: f32,
    descent: f32,
    bucket: i64,
}

#[derive(Clone, Copy)]
struct Rect {
    x_min: f32,
    x_max: f32,
    y_min: f32,
    y_max: f32,
}

struct Block {
    words: Vec<usize>,
    /// Font size of its first word.
    size: f32,
    /// The table it is a cell of.
    table: Option<usize>,
    r: Rect,
    /// The box extended sideways for ordering.
    e: Rect,
}

struct Work(u64);

impl Work {
    fn spend(&mut self, n: usize) -> Option<()> {
        self.0 = self.0.saturating_add(n as u64);
        (self.0 <= MAX_WORK).then_some(())
    }
}

/// The page's glyphs grouped into blocks in reading order (glyph indices, each block in draw
/// order); `None` when the page is better read as a single block.
pub(super) fn blocks(glyphs: &[Glyph], text: &str, rtl: bool) -> Option<Vec<Vec<usize>>> {
    let words = words(glyphs, text);
    if words.len() < 2 || words.len() > MAX_WORDS {
        return None;
    }
    let mut work = Work(0);
    let mut blocks = build_blocks(&words, &mut work)?;
    if blocks.len() < 2 {
        return None;
    }
    tables(&mut blocks, &mut work)?;
    extend(&mut blocks, &mut work)?;
    let order = reading_order(&blocks, rtl, &mut work)?;
    Some(
        order
            .into_iter()
            .map(|b| {
                let mut ids: Vec<usize> = blocks[b]
                    .words
                    .iter()
                    .flat_map(|&w| words[w].first..=words[w].last)
                    .collect();
                ids.sort_unstable();
                ids
            })
            .collect(),
    )
}

fn words(glyphs: &[Glyph], text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut open = false;
    for (i, g) in glyphs.iter().enumerate() {
        let empty = g.space
            || text
                .get(g.start as usize..(g.start + g.len) as usize)
                .is_none_or(str::is_empty);
        if empty {
            // A space ends the word; it travels with it so the line keeps its word break.
            if let Some(w) = words.last_mut().filter(|w| w.last + 1 == i) {
                w.last = i;
            }
            open = false;
            continue;
        }
        let (lo, hi) = (g.x.min(g.end), g.x.max(g.end));
        let base = -g.y;
        if let Some(w) = words.last_mut().filter(|_| open) {
            let gap = lo - w.x_max;
            let joins = (base - w.base).abs() <= 0.5
                && (g.size - w.size).abs() <= 0.01 * w.size
                && gap <= WORD_BREAK_SPACE * w.size
                && gap >= -WORD_BREAK_OVERLAP * w.size;
            if joins {
                w.last = i;
                w.x_min = w.x_min.min(lo);
                w.x_max = w.x_max.max(hi);
                continue;
            }
        }
        words.push(Word {
            first: i,
            last: i,
            x_min: lo,
            x_max: hi,
            base,
            size: g.size,
            ascent: g.ascent,
            descent: g.descent,
            bucket: (base / POOL_STEP).floor() as i64,
        });
        open = true;
    }
    words
}

fn word_rect(w: &Word) -> Rect {
    Rect {
        x_min: w.x_min,
        x_max: w.x_max,
        y_min: w.base - w.ascent * w.size,
        y_max: w.base - w.descent * w.size,
    }
}

fn add(block: &mut Block, id: usize, w: &Word) {
    let r = word_rect(w);
    block.words.push(id);
    block.r.x_min = block.r.x_min.min(r.x_min);
    block.r.x_max = block.r.x_max.max(r.x_max);
    block.r.y_min = block.r.y_min.min(r.y_min);
    block.r.y_max = block.r.y_max.max(r.y_max);
}

/// Poppler's block building: start at the top-left-most free word, then grow the block by
/// lines above and below, words on its lines, and a few outlying words at its sides.
fn build_blocks(words: &[Word], work: &mut Work) -> Option<Vec<Block>> {
    // The pool: words by baseline bucket, then left to right.
    let mut pool: Vec<usize> = (0..words.len()).collect();
    pool.sort_by(|&a, &b| {
        (words[a].bucket, words[a].x_min)
            .partial_cmp(&(words[b].bucket, words[b].x_min))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let buckets: Vec<i64> = pool.iter().map(|&w| words[w].bucket).collect();
    let mut taken = vec![false; words.len()];
    let mut free = words.len();
    let mut head = 0usize;
    let mut blocks = Vec::new();
    // The pool positions of words whose baseline lies in [lo, hi].
    let range = |lo: f32, hi: f32| {
        let (a, b) = (
            (lo / POOL_STEP).floor() as i64,
            (hi / POOL_STEP).floor() as i64,
        );
        buckets.partition_point(|&k| k < a)..buckets.partition_point(|&k| k <= b)
    };
    while free > 0 {
        while taken[pool[head]] {
            head += 1;
        }
        // The left-most first word of the first four bucket lines (avoids starting on a
        // superscript).
        let top = buckets[head];
        let mut start = head;
        let mut p = head;
        let mut first_in_bucket = None;
        while p < pool.len() && buckets[p] < top + 4 {
            work.spend(1)?;
            if !taken[pool[p]] && first_in_bucket != Some(buckets[p]) {
                first_in_bucket = Some(buckets[p]);
                if words[pool[p]].x_min < words[pool[start]].x_min {
                    start = p;
                }
            }
            p += 1;
        }
        let w0 = pool[start];
        taken[w0] = true;
        free -= 1;
        let seed = &words[w0];
        let mut block = Block {
            words: Vec::new(),
            size: seed.size,
            table: None,
            r: word_rect(seed),
            e: word_rect(seed),
        };
        add(&mut block, w0, seed);
        let size = seed.size;
        let (mut min_base, mut max_base) = (seed.base, seed.base);
        let line_space = LINE_SPACING * size;
        let intra = INTRA_LINE * size;
        let near = COL_SPACE_NEAR * size;
        let far = COL_SPACE_FAR * size;
        let like = |w: &Word, delta: f32| (w.size - size).abs() < delta * size;
        loop {
            let mut found = false;
            // The line above the block.
            let mut new_min = min_base;
            let r = range(min_base - line_space, min_base);
            work.spend(r.len())?;
            for &id in &pool[r] {
                let w = &words[id];
                if !taken[id]
                    && w.base < min_base
                    && w.base >= min_base - line_space
                    && w.x_min < block.r.x_max
                    && w.x_max > block.r.x_min
                    && like(w, FONT_DELTA_LINES)
                {
                    taken[id] = true;
                    free -= 1;
                    add(&mut block, id, w);
                    found = true;
                    new_min = new_min.min(w.base);
                }
            }
            min_base = new_min;
            // The line below.
            let mut new_max = max_base;
            let r = range(max_base, max_base + line_space);
            work.spend(r.len())?;
            for &id in &pool[r] {
                let w = &words[id];
                if !taken[id]
                    && w.base > max_base
                    && w.base <= max_base + line_space
                    && w.x_min < block.r.x_max
                    && w.x_max > block.r.x_min
                    && like(w, FONT_DELTA_LINES)
                {
                    taken[id] = true;
                    free -= 1;
                    add(&mut block, id, w);
                    found = true;
                    new_max = new_max.max(w.base);
                }
            }
            max_base = new_max;
            // Words on the block's lines that overlap it horizontally.
            let r = range(min_base - intra, max_base + intra);
            work.spend(r.len())?;
            for &id in &pool[r] {
                let w = &words[id];
                if !taken[id]
                    && w.base >= min_base - intra
                    && w.base <= max_base + intra
                    && w.x_min < block.r.x_max + near
                    && w.x_max > block.r.x_min - near
                    && like(w, FONT_DELTA_OVERLAP)
                {
                    taken[id] = true;
                    free -= 1;
                    add(&mut block, id, w);
                    found = true;
                }
            }
            if found {
                continue;
            }
            // A few outlying words just left, then just right, of the block.
            for left in [true, false] {
                let r = range(min_base - intra, max_base + intra);
                work.spend(2 * r.len())?;
                let outlying = |w: &Word, b: &Rect, (lo, hi): (f32, f32)| {
                    w.base >= lo - intra
                        && w.base <= hi + intra
                        && if left {
                            w.x_max <= b.x_min && w.x_max > b.x_min - far
                        } else {
                            w.x_min >= b.x_max && w.x_min < b.x_max + far
                        }
                        && like(w, FONT_DELTA_SIDES)
                };
                let mut lines = 0;
                let mut last_bucket = None;
                for &id in &pool[r.clone()] {
                    if !taken[id]
                        && last_bucket != Some(words[id].bucket)
                        && outlying(&words[id], &block.r, (min_base, max_base))
                    {
                        lines += 1;
                        last_bucket = Some(words[id].bucket);
                    }
                }
                // Poppler takes at most three; a gap narrower than a column gap beside every
                // line of the block that reaches that side is a river of aligned spaces
                // (monospaced text), not a gap between columns, so it is crossed too.
                let mut reaching: Vec<i64> = block
                    .words
                    .iter()
                    .map(|&w| &words[w])
                    .filter(|w| {
                        if left {
                            w.x_min < block.r.x_min + far
                        } else {
                            w.x_max > block.r.x_max - far
                        }
                    })
                    .map(|w| w.bucket)
                    .collect();
                reaching.sort_unstable();
                reaching.dedup();
                work.spend(block.words.len())?;
                if lines == 0 || (lines > 3 && lines < reaching.len()) {
                    continue;
                }
                let mut last_bucket = None;
                for &id in &pool[r] {
                    let w = &words[id];
                    if !taken[id]
                        && last_bucket != Some(w.bucket)
                        && outlying(w, &block.r, (min_base, max_base))
                    {
                        last_bucket = Some(w.bucket);
                        taken[id] = true;
                        free -= 1;
                        add(&mut block, id, w);
                        min_base = min_base.min(w.base);
                        max_base = max_base.max(w.base);
                        found = true;
                    }
                }
            }
            if !found {
                break;
            }
        }
        block.e = block.r;
        blocks.push(block);
    }
    Some(blocks)
}

fn overlap_x(a: &Rect, b: &Rect) -> bool {
    a.x_min <= b.x_max && a.x_max >= b.x_min
}

fn overlap_y(a: &Rect, b: &Rect) -> bool {
    a.y_min <= b.y_max && a.y_max >= b.y_min
}

/// Poppler's table detection: a block, its nearest neighbours to the right and below, and the
/// one below-right, aligned by centre or edge in both directions, are cells of one table; the
/// cells of a table are read row by row, and the table as a whole is placed by its envelope.
fn tables(blocks: &mut [Block], work: &mut Work) -> Option<()> {
    let n = blocks.len();
    let mut tables = 0usize;
    for i in 0..n {
        work.spend(n)?;
        let b1 = blocks[i].r;
        let (mut right, mut below, mut diag) = (None::<usize>, None::<usize>, None::<usize>);
        let (mut bx0, mut by0, mut bx1, mut by1) = (f32::MAX, f32::MAX, f32::MAX, f32::MAX);
        for (j, b) in blocks.iter().enumerate() {
            if j == i {
                continue;
            }
            let b2 = &b.r;
            if b2.y_min <= b1.y_max && b2.y_max >= b1.y_min && b2.x_min > b1.x_max && b2.x_min < bx0
            {
                bx0 = b2.x_min;
                right = Some(j);
            } else if overlap_x(b2, &b1) && b2.y_min > b1.y_max && b2.y_min < by0 {
                by0 = b2.y_min;
                below = Some(j);
            } else if b2.x_min > b1.x_max && b2.x_min < bx1 && b2.y_min > b1.y_max && b2.y_min < by1
            {
                bx1 = b2.x_min;
                by1 = b2.y_min;
                diag = Some(j);
            }
        }
        let (Some(f2), Some(f3), Some(f4)) = (right, below, diag) else {
            continue;
        };
        let (r2, r3, r4) = (blocks[f2].r, blocks[f3].r, blocks[f4].r);
        if overlap_x(&r3, &r4)
            || overlap_y(&r2, &r4)
            || overlap_x(&r2, &r3)
            || overlap_y(&r2, &r3)
            || !(overlap_x(&r4, &r2) && overlap_y(&r4, &r3))
        {
            continue;
        }
        let size = [i, f2, f3, f4]
            .iter()
            .map(|&k| blocks[k].size)
            .fold(f32::INFINITY, f32::min);
        let (dx, dy) = (size * COL_SPACE_NEAR, size * INTRA_LINE);
        let centre_x = |r: &Rect| (r.x_min + r.x_max) / 2.0;
        let centre_y = |r: &Rect| (r.y_min + r.y_max) / 2.0;
        let close = |a: f32, b: f32, d: f32| (a - b).abs() <= d;
        let mut cx = 0;
        let mut cy = 0;
        if close(centre_x(&b1), centre_x(&r3), dx) && close(centre_x(&r2), centre_x(&r4), dx) {
            cx += 1;
        }
        if close(centre_y(&b1), centre_y(&r2), dy) && close(centre_y(&r3), centre_y(&r4), dy) {
            cy += 1;
        }
        if close(b1.x_min, r3.x_min, dx) && close(r2.x_min, r4.x_min, dx) {
            cx += 1;
        }
        if close(b1.x_max, r3.x_max, dx) && close(r2.x_max, r4.x_max, dx) {
            cx += 1;
        }
        if close(b1.y_min, r2.y_min, dy) && close(r3.y_min, r4.y_min, dy) {
            cy += 1;
        }
        if close(b1.y_max, r2.y_max, dy) && close(r3.y_max, r4.y_max, dy) {
            cy += 1;
        }
        if cx > 0 && cy > 0 {
            let id = [i, f2, f3, f4]
                .iter()
                .filter_map(|&k| blocks[k].table)
                .max()
                .unwrap_or_else(|| {
                    tables += 1;
                    tables - 1
                });
            for k in [i, f2, f3, f4] {
                blocks[k].table = Some(id);
            }
        }
    }
    // Each cell is placed by its table's envelope.
    let mut envelopes: Vec<Option<Rect>> = vec![None; tables];
    for b in blocks.iter() {
        if let Some(t) = b.table {
            let e = envelopes[t].get_or_insert(b.r);
            e.x_min = e.x_min.min(b.r.x_min);
            e.x_max = e.x_max.max(b.r.x_max);
            e.y_min = e.y_min.min(b.r.y_min);
            e.y_max = e.y_max.max(b.r.y_max);
        }
    }
    for b in blocks.iter_mut() {
        if let Some(e) = b.table.and_then(|t| envelopes[t]) {
            b.e = e;
        }
    }
    Some(())
}

/// Widens each block sideways over the blocks below it, up to its neighbours on its own level,
/// so that a heading over two columns is read before both.
fn extend(blocks: &mut [Block], work: &mut Work) -> Option<()> {
    for i in 0..blocks.len() {
        work.spend(2 * blocks.len())?;
        let b1 = blocks[i].r;
        let (mut right, mut left) = (f32::INFINITY, f32::NEG_INFINITY);
        for (j, b2) in blocks.iter().enumerate() {
            let b2 = b2.r;
            if j == i || !(b1.y_min <= b2.y_max && b1.y_max >= b2.y_min) {
                continue;
            }
            if b2.x_min < right && b2.x_min > b1.x_max {
                right = b2.x_min;
            }
            if b2.x_max > left && b2.x_max < b1.x_min {
                left = b2.x_max;
            }
        }
        let mut e = blocks[i].e;
        for (j, b2) in blocks.iter().enumerate() {
            let b2 = b2.r;
            if j == i {
                continue;
            }
            if b2.x_max > e.x_max && b2.x_max <= right && b2.y_min >= b1.y_max {
                e.x_max = b2.x_max;
            }
            if b2.x_min < e.x_min && b2.x_min >= left && b2.y_min >= b1.y_max {
                e.x_min = b2.x_min;
            }
        }
        blocks[i].e = e;
    }
    Some(())
}

/// Rule 1: `a` overlaps `b` horizontally and starts above it.
fn above(a: &Rect, b: &Rect) -> bool {
    let overlap =
        (a.x_min <= b.x_min && b.x_min <= a.x_max) || (b.x_min <= a.x_min && a.x_min <= b.x_max);
    overlap && a.y_min < b.y_min
}

/// Rule 2: `a` lies wholly before `b` in the writing direction.
fn before_in_line(a: &Rect, b: &Rect, rtl: bool) -> bool {
    if rtl {
        b.x_max <= a.x_min
    } else {
        a.x_max <= b.x_min
    }
}

/// Topological sort of the blocks by the two rules, depth first from each block in the order
/// they were built.
fn reading_order(blocks: &[Block], rtl: bool, work: &mut Work) -> Option<Vec<usize>> {
    let n = blocks.len();
    let mut visited = vec![false; n];
    let mut sorted = Vec::with_capacity(n);
    let before =
        |b2: usize, b1: usize, work: &mut Work| -> Option<bool> {
            if blocks[b1].table.is_some() && blocks[b1].table == blocks[b2].table {
                // Cells of one table: row by row, each row in the writing direction.
                let (r1, r2) = (&blocks[b1].r, &blocks[b2].r);
                let beside = if rtl {
                    r2.x_min >= r1.x_max
                } else {
                    r2.x_max <= r1.x_min
                };
                return Some((beside && overlap_y(r1, r2)) || r2.y_max <= r1.y_min);
            }
            let (e1, e2) = (&blocks[b1].e, &blocks[b2].e);
            if above(e2, e1) {
                return Some(true);
            }
            if !before_in_line(e2, e1, rtl) {
                return Some(false);
            }
            work.spend(n)?;
            Some(!(0..n).any(|b3| {
                b3 != b1 && b3 != b2 && above(e1, &blocks[b3].e) && above(&blocks[b3].e, e2)
            }))
        };
    // Explicit stack of (block, next candidate) instead of recursion.
    for root in 0..n {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (b1, ref mut next)) = stack.last_mut() {
            let mut descend = None;
            while *next < n {
                let b2 = *next;
                *next += 1;
                work.spend(1)?;
                if !visited[b2] && before(b2, b1, work)? {
                    descend = Some(b2);
                    break;
                }
            }
            match descend {
                Some(b2) => {
                    visited[b2] = true;
                    stack.push((b2, 0));
                }
                None => {
                    sorted.push(b1);
                    stack.pop();
                }
            }
        }
    }
    Some(sorted)
}

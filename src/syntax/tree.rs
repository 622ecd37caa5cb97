//! pest's parse as a flat array of nodes, read once from its token queue.
//!
//! Walking pest's `Pairs` costs on every step: each `into_inner` counts a
//! pair's children first, each `Pair` clones two `Rc`s. The tree builder
//! instead reads the queue once ([`Nodes::fill`]) into nodes in pre-order,
//! each with its rule, its span and where its subtree ends, and walks
//! those: a child is the next index, a sibling the end of the subtree.

use pest::iterators::Pairs;
use pest::Token;

use super::grammar::Rule;
use crate::diagnostics::Span;

/// One pair of the parse: its rule, its byte range in the parsed text and
/// the index just past its subtree (its next sibling, when it has one).
#[derive(Clone, Copy, Debug)]
pub(super) struct Node {
    pub(super) rule: Rule,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) next: usize,
}

/// The nodes of one parse; kept from one parse to the next so that the
/// buffer does not grow from empty each time.
#[derive(Default)]
pub(super) struct Nodes {
    nodes: Vec<Node>,
}

/// No node open (while reading: the parent of a top-level node).
const NONE: usize = usize::MAX;

impl Nodes {
    /// Reads `pairs` (the result of one `parse` call) into nodes in pre-order.
    ///
    /// A caller keeps `pairs` (pest's token queue) until it has built what
    /// it needs from the nodes: freed first, the queue's memory would be cut
    /// up for the tree's small allocations, and the next parse's queue could
    /// no longer grow in place (each growth a copy).
    pub(super) fn fill(&mut self, pairs: &Pairs<'_, Rule>) {
        self.nodes.clear();
        // The node whose end comes next. While a node is open its `next`
        // holds the node open around it (no stack of its own).
        let mut open = NONE;
        for token in pairs.clone().tokens() {
            match token {
                Token::Start { rule, pos } => {
                    let i = self.nodes.len();
                    self.nodes.push(Node {
                        rule,
                        start: pos.pos(),
                        end: pos.pos(),
                        next: open,
                    });
                    open = i;
                }
                Token::End { pos, .. } => {
                    // pest's tokens are balanced: an end closes the node
                    // opened last.
                    let next = self.nodes.len();
                    let node = &mut self.nodes[open];
                    open = node.next;
                    node.end = pos.pos();
                    node.next = next;
                }
            }
        }
    }

    /// The tree over `text` (the text that was parsed), whose spans are
    /// reported `offset` bytes further (where that text starts in the script).
    pub(super) fn tree<'t, 'i>(&'t self, text: &'i str, offset: usize) -> Tree<'t, 'i> {
        Tree {
            nodes: &self.nodes,
            text,
            offset,
        }
    }
}

/// The nodes of a parse with the text they cover.
#[derive(Clone, Copy)]
pub(super) struct Tree<'t, 'i> {
    nodes: &'t [Node],
    text: &'i str,
    offset: usize,
}

/// Node index.
pub(super) type Id = usize;

impl<'t, 'i> Tree<'t, 'i> {
    /// The top-level nodes (the rule `parse` was called with: one).
    pub(super) fn roots(&self) -> Children<'t> {
        Children {
            nodes: self.nodes,
            at: 0,
            end: self.nodes.len(),
        }
    }

    pub(super) fn rule(&self, i: Id) -> Rule {
        self.nodes[i].rule
    }

    /// The text of node `i`.
    pub(super) fn str(&self, i: Id) -> &'i str {
        let n = &self.nodes[i];
        &self.text[n.start..n.end]
    }

    /// Where node `i` starts in the script.
    pub(super) fn start(&self, i: Id) -> usize {
        self.nodes[i].start + self.offset
    }

    /// The span of node `i` in the script.
    pub(super) fn span(&self, i: Id) -> Span {
        let n = &self.nodes[i];
        Span::new(n.start + self.offset, n.end + self.offset)
    }

    /// The children of node `i`, in order.
    pub(super) fn children(&self, i: Id) -> Children<'t> {
        Children {
            nodes: self.nodes,
            at: i + 1,
            end: self.nodes[i].next,
        }
    }

    /// The first child of node `i`.
    pub(super) fn first_child(&self, i: Id) -> Option<Id> {
        (i + 1 < self.nodes[i].next).then_some(i + 1)
    }

    /// True when `child` (a child of `parent`) is not its last child.
    pub(super) fn has_next_sibling(&self, child: Id, parent: Id) -> bool {
        self.nodes[child].next < self.nodes[parent].next
    }

    /// The last child of node `i`.
    fn last_child(&self, i: Id) -> Option<Id> {
        self.children(i).last()
    }

    /// The span of node `i` up to the end of its last token. pest's implicit
    /// whitespace makes a compound rule that ends with an optional or
    /// repeated part (`expr`, `member`) run over the blanks and comments
    /// after its last token, onto the next line; a diagnostic must not.
    ///
    /// The last child is followed down to a node whose text is opaque (a
    /// string, a code block: `//` inside is no comment) or has no children;
    /// after that point the rule can only hold punctuation, whitespace and
    /// comments, so the last byte that is none of these ends the span.
    pub(super) fn exact_span(&self, i: Id) -> Span {
        if is_opaque(self.rule(i)) {
            return self.span(i);
        }
        self.exact_span_below(i, self.last_child(i))
    }

    /// [`Tree::exact_span`] of a node whose text is not opaque, given its
    /// last child (the caller may already know it).
    pub(super) fn exact_span_below(&self, i: Id, last: Option<Id>) -> Span {
        let n = &self.nodes[i];
        let Some(mut p) = last else {
            return self.span_to_code_end(n.start, n.start, n.end);
        };
        let mut from = self.nodes[p].start;
        loop {
            if is_opaque(self.rule(p)) {
                from = self.nodes[p].end;
                break;
            }
            match self.last_child(p) {
                Some(child) => {
                    from = self.nodes[child].start;
                    p = child;
                }
                None => break,
            }
        }
        self.span_to_code_end(n.start, from, n.end)
    }

    fn span_to_code_end(&self, start: usize, from: usize, to: usize) -> Span {
        let end = last_code_end(self.text, from, to);
        Span::new(start + self.offset, end + self.offset)
    }
}

/// The children of a node (or the roots): node indices, in order.
#[derive(Clone)]
pub(super) struct Children<'t> {
    nodes: &'t [Node],
    at: usize,
    end: usize,
}

impl Children<'_> {
    /// The next child, without taking it.
    pub(super) fn peek(&self) -> Option<Id> {
        (self.at < self.end).then_some(self.at)
    }
}

impl Iterator for Children<'_> {
    type Item = Id;

    fn next(&mut self) -> Option<Id> {
        if self.at >= self.end {
            return None;
        }
        let i = self.at;
        self.at = self.nodes[i].next;
        Some(i)
    }
}

/// Rules whose text is opaque (a string, a code block: `//` inside is no
/// comment): a span ends where they end.
pub(super) fn is_opaque(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::string
            | Rule::squote_string
            | Rule::dollar_string
            | Rule::raw_string
            | Rule::code_block
            | Rule::datetime
            | Rule::caption
            | Rule::case_label
    )
}

/// The end of the last byte in `text[from..to]` that is neither whitespace
/// nor in a `//` comment (`from` when there is none). The range holds no
/// string literal.
pub(super) fn last_code_end(text: &str, from: usize, to: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = from;
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < to && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                i += 1;
                end = i;
            }
        }
    }
    end
}

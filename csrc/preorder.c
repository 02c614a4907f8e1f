// A preorder walk over a tree-sitter tree that yields the same visible nodes, in the same
// order and with the same depths and field ids, as a TSTreeCursor walk (goto_first_child /
// goto_next_sibling / goto_parent), at a fraction of the cost. Per kind, the caller may
// keep it from descending, or from reporting the kind's childless nodes (tokens).
//
// Why it exists: the call graph visits every node of every file, and the cursor's stepping
// (one C call per step, a descendant index kept for APIs we do not use, the field of a node
// recomputed by walking up the stack) costs about a fifth of parsing. This walk keeps its
// own stack of parent frames, computes each child's position, alias and field once, and
// hands nodes out in batches.
//
// It reads tree-sitter's internal subtree layout, so it is compiled against the headers of
// the very tree-sitter version that is linked (build.rs finds them through the crate's
// `links` metadata). `extract::preorder`'s tests compare it with the cursor on every fixture.

#include <stdlib.h>
#include <string.h>

#include "tree_sitter/api.h"
#include "./language.h"
#include "./subtree.h"
#include "./tree.h"

typedef struct {
  TSNode node;
  uint32_t depth;
  uint16_t kind;   // the public kind id, as ts_node_symbol returns it
  uint16_t field;  // as ts_tree_cursor_current_field_id returns it, 0 for none
} DiscoverVisit;

// A node whose children are being handed out. Hidden nodes (the grammar's `_rules` and
// repetitions) get frames too, but their children are reported at the depth of the hidden
// node's visible parent, as the cursor sees through them.
typedef struct {
  const Subtree *children;  // of the node whose children these are, and how many
  uint32_t count;
  Length position;  // start of the next child
  uint32_t child_index;
  uint32_t structural_index;
  const TSSymbol *aliases;
  const TSFieldMapEntry *fields;
  const TSFieldMapEntry *fields_end;
  uint32_t depth;        // depth of the children
  TSFieldId inherited;   // a hidden parent's own field, which its children take when they have none
  bool hidden;
  bool report_leaves;    // the visible parent's kind has DISCOVER_REPORT_LEAVES
} Frame;

typedef struct {
  const TSTree *tree;
  const TSLanguage *language;
  const uint8_t *flags;  // by public kind id: DISCOVER_NO_DESCEND | DISCOVER_QUIET_LEAF
  uint32_t flags_len;
  uint32_t max_depth;    // nodes deeper than this are not visited
  Frame *frames;
  uint32_t len;
  uint32_t cap;
  bool root_pending;
  TSNode root;
  bool failed;
} DiscoverPreorder;

static inline TSNode make_node(const TSTree *tree, const Subtree *child, Length position,
                               TSSymbol alias) {
  return (TSNode){
    {position.bytes, position.extent.row, position.extent.column, alias},
    child,
    tree,
  };
}

static inline Length start_of(TSNode node) {
  return (Length){node.context[0], {node.context[1], node.context[2]}};
}

static inline bool push(DiscoverPreorder *self, Subtree parent, Length position, uint32_t depth,
                 TSFieldId inherited, bool hidden, bool report_leaves) {
  if (self->len == self->cap) {
    uint32_t cap = self->cap ? self->cap * 2 : 16;
    Frame *frames = realloc(self->frames, sizeof(Frame) * cap);
    if (!frames) {
      self->failed = true;
      return false;
    }
    self->frames = frames;
    self->cap = cap;
  }
  Frame *frame = &self->frames[self->len++];
  frame->children = ts_subtree_children(parent);
  frame->count = parent.ptr->child_count;
  frame->position = position;
  frame->child_index = 0;
  frame->structural_index = 0;
  uint16_t production = parent.ptr->production_id;
  frame->aliases = ts_language_alias_sequence(self->language, production);
  if (self->language->field_count == 0) {
    frame->fields = NULL;
    frame->fields_end = NULL;
  } else {
    ts_language_field_map(self->language, production, &frame->fields, &frame->fields_end);
  }
  frame->depth = depth;
  frame->inherited = inherited;
  frame->hidden = hidden;
  frame->report_leaves = report_leaves;
  return true;
}

// Kind flags. A kind past the table (ERROR's id, for one) has none.
#define DISCOVER_NO_DESCEND 1  // the walk does not go below such nodes
#define DISCOVER_QUIET_LEAF 2  // such nodes are not reported when they have no children
#define DISCOVER_REPORT_LEAVES 4  // the named children of such nodes are reported, quiet or not

static inline uint8_t flags_of(const DiscoverPreorder *self, uint16_t kind) {
  return kind < self->flags_len ? self->flags[kind] : 0;
}

static inline bool descend(const DiscoverPreorder *self, uint16_t kind) {
  return !(flags_of(self, kind) & DISCOVER_NO_DESCEND);
}

DiscoverPreorder *discover_preorder_new(TSNode root, const uint8_t *flags, uint32_t flags_len,
                                        uint32_t max_depth) {
  DiscoverPreorder *self = calloc(1, sizeof(DiscoverPreorder));
  if (!self) return NULL;
  self->tree = root.tree;
  self->language = root.tree->language;
  self->flags = flags;
  self->flags_len = flags_len;
  self->max_depth = max_depth;
  self->root = root;
  self->root_pending = true;
  return self;
}

void discover_preorder_delete(DiscoverPreorder *self) {
  if (!self) return;
  free(self->frames);
  free(self);
}

// The field of the child at `structural` in a node's field map: the first entry that names
// it directly, as ts_tree_cursor_current_field_id finds it.
static inline TSFieldId field_at(const TSFieldMapEntry *map, const TSFieldMapEntry *end,
                                 uint32_t structural) {
  for (; map < end; map++) {
    if (!map->inherited && map->child_index == structural) return map->field_id;
  }
  return 0;
}

// The field of the child at `structural` (extras not counted) of the frame's node: its own,
// or, under a hidden node, the hidden node's.
static inline TSFieldId field_of(const Frame *frame, uint32_t structural) {
  TSFieldId field = field_at(frame->fields, frame->fields_end, structural);
  return field ? field : frame->hidden ? frame->inherited : 0;
}

// Fills `out` with up to `cap` visits; returns how many. 0 means the walk is over; a walk
// that could not grow its stack reports it through discover_preorder_failed.
uint32_t discover_preorder_next(DiscoverPreorder *self, DiscoverVisit *out, uint32_t cap) {
  uint32_t n = 0;
  if (cap == 0 || self->failed) return 0;
  if (self->root_pending) {
    self->root_pending = false;
    TSNode root = self->root;
    uint16_t kind = ts_node_symbol(root);
    out[n++] = (DiscoverVisit){root, 0, kind, 0};
    Subtree subtree = *(const Subtree *)root.id;
    if (ts_subtree_child_count(subtree) > 0 && descend(self, kind) && self->max_depth > 0) {
      Length position = start_of(root);
      bool report = flags_of(self, kind) & DISCOVER_REPORT_LEAVES;
      if (!push(self, subtree, position, 1, 0, false, report)) return n;
    }
  }
  // The stack's length and top frame live in locals, updated on each push and pop:
  // reloading them through `self` at every step was an eighth of the walk.
  uint32_t len = self->len;
  Frame *frame = len ? &self->frames[len - 1] : NULL;
  while (n < cap && len > 0) {
    uint32_t count = frame->count;
    if (frame->child_index == count) {
      len--;
      frame = len ? frame - 1 : NULL;
      continue;
    }
    const Subtree *children = frame->children;
    const Subtree *child = &children[frame->child_index];
    Length position = frame->position;
    bool extra = ts_subtree_extra(*child);
    TSSymbol alias = 0;
    uint32_t structural = frame->structural_index;
    if (!extra) {
      if (frame->aliases) alias = frame->aliases[structural];
      frame->structural_index++;
    }
    frame->position = length_add(position, ts_subtree_size(*child));
    frame->child_index++;
    if (frame->child_index < count) {
      frame->position = length_add(frame->position, ts_subtree_padding(children[frame->child_index]));
    }
    uint32_t depth = frame->depth;
    if (ts_subtree_visible(*child) || alias) {
      TSSymbol symbol = alias ? alias : ts_subtree_symbol(*child);
      // ts_language_public_symbol, inline: this is the walk's hottest line.
      uint16_t kind =
          symbol == ts_builtin_sym_error ? symbol : self->language->public_symbol_map[symbol];
      bool leaf = ts_subtree_visible_child_count(*child) == 0;
      // Tokens are most of a tree's nodes, and most walks have no use for punctuation; their
      // fields are not worth looking up.
      if (leaf && (flags_of(self, kind) & DISCOVER_QUIET_LEAF)) {
        if (!frame->report_leaves) continue;
        bool named = alias ? ts_language_symbol_metadata(self->language, alias).named
                           : ts_subtree_named(*child);
        if (!named) continue;
      }
      TSFieldId field = extra ? 0 : field_of(frame, structural);
      TSNode node = make_node(self->tree, child, position, alias);
      out[n++] = (DiscoverVisit){node, depth, kind, field};
      if (!leaf && descend(self, kind) && depth < self->max_depth) {
        bool report = flags_of(self, kind) & DISCOVER_REPORT_LEAVES;
        self->len = len;
        if (!push(self, *child, position, depth + 1, 0, false, report)) return n;
        len = self->len;
        frame = &self->frames[len - 1];
      }
    } else if (ts_subtree_visible_child_count(*child) > 0) {
      TSFieldId field = extra ? 0 : field_of(frame, structural);
      self->len = len;
      if (!push(self, *child, position, depth, field, true, frame->report_leaves)) return n;
      len = self->len;
      frame = &self->frames[len - 1];
    }
  }
  self->len = len;
  return n;
}

bool discover_preorder_failed(const DiscoverPreorder *self) {
  return self->failed;
}

// ts_node_child_by_field_id, computed the same way without the generic child iterator:
// the call graph and the extractors ask for fields (a call's `function`, a function's
// `body`) hundreds of thousands of times a run, and tree-sitter's version costs several
// hundred instructions a call, most of it in `ts_node_child(child, 0)` for a field that
// names a hidden node. `extract::preorder`'s tests compare the two on every node and field
// of every fixture.

static inline uint32_t visible_children(Subtree subtree) {
  return ts_subtree_child_count(subtree) > 0 ? subtree.ptr->visible_child_count : 0;
}

// The children of one node in order, each with its position, alias and structural index
// (extras not counted), as a cursor steps through them; inlined, unlike tree-sitter's.
typedef struct {
  const TSTree *tree;
  const Subtree *children;
  uint32_t count;
  uint32_t index;
  uint32_t structural;
  const TSSymbol *aliases;
  Length position;  // where the next child's padding starts, past the first child
} Children;

typedef struct {
  const Subtree *subtree;
  TSNode node;
  bool extra;
  uint32_t structural;  // for a child that is not an extra
} Child;

static inline Children children_of(TSNode node) {
  Subtree subtree = *(const Subtree *)node.id;
  uint32_t count = ts_subtree_child_count(subtree);
  return (Children){
    node.tree,
    count ? ts_subtree_children(subtree) : NULL,
    count,
    0,
    0,
    count ? ts_language_alias_sequence(node.tree->language, subtree.ptr->production_id) : NULL,
    start_of(node),
  };
}

static inline bool next_child(Children *self, Child *out) {
  if (self->index == self->count) return false;
  const Subtree *child = &self->children[self->index];
  if (self->index > 0) self->position = length_add(self->position, ts_subtree_padding(*child));
  out->subtree = child;
  out->extra = ts_subtree_extra(*child);
  TSSymbol alias = 0;
  if (!out->extra) {
    if (self->aliases) alias = self->aliases[self->structural];
    out->structural = self->structural++;
  }
  out->node = make_node(self->tree, child, self->position, alias);
  self->position = length_add(self->position, ts_subtree_size(*child));
  self->index++;
  return true;
}

static inline bool is_visible(const Child *child) {
  return ts_subtree_visible(*child->subtree) || child->node.context[3];
}

// One child of a listing: the node and the field it fills (0 for none).
typedef struct {
  TSNode node;
  uint16_t field;
} DiscoverChild;

// Appends the visible children of `node` (seeing through hidden ones, whose children take
// the hidden node's own field, `inherited`, when they have none) from index `n`; writes
// those that fit below `cap` and returns the new count. Recursion is as deep as hidden
// rules nest, which tree-sitter's balancing of repetitions keeps logarithmic.
static uint32_t list_children(TSNode node, TSFieldId inherited, bool named_only,
                              DiscoverChild *out, uint32_t cap, uint32_t n) {
  Subtree subtree = *(const Subtree *)node.id;
  const TSLanguage *language = node.tree->language;
  const TSFieldMapEntry *fields = NULL, *fields_end = NULL;
  if (!named_only && language->field_count > 0) {
    ts_language_field_map(language, subtree.ptr->production_id, &fields, &fields_end);
  }
  Children children = children_of(node);
  Child child;
  while (next_child(&children, &child)) {
    TSFieldId field = 0;
    if (!named_only && !child.extra) {
      field = field_at(fields, fields_end, child.structural);
      if (!field) field = inherited;
    }
    if (is_visible(&child)) {
      if (named_only) {
        TSSymbol alias = child.node.context[3];
        bool named = alias ? ts_language_symbol_metadata(language, alias).named
                           : ts_subtree_named(*child.subtree);
        if (!named) continue;
      }
      if (n < cap) out[n] = (DiscoverChild){child.node, field};
      n++;
    } else if (visible_children(*child.subtree) > 0) {
      n = list_children(child.node, field, named_only, out, cap, n);
    }
  }
  return n;
}

// The children of `node`, as a cursor's goto_first_child / goto_next_sibling lists them
// (tokens included, hidden rules seen through), with their field ids; only the named ones
// if `named_only` (then every field is 0). Writes at most `cap` and returns how many there
// are: more than `cap` means `out` was too short. Pattern matching and the extractors list
// the children of every node they try, and a cursor's stepping, or setting up the preorder
// walk for one level, cost several times this loop.
uint32_t discover_children(TSNode node, bool named_only, DiscoverChild *out, uint32_t cap) {
  if (ts_subtree_child_count(*(const Subtree *)node.id) == 0) return 0;
  return list_children(node, 0, named_only, out, cap, 0);
}

// ts_node_child(node, 0): the first visible child, seeing through hidden ones.
static TSNode first_visible_child(TSNode node) {
  for (;;) {
    Children children = children_of(node);
    Child child;
    bool descended = false;
    while (next_child(&children, &child)) {
      if (is_visible(&child)) return child.node;
      if (visible_children(*child.subtree) > 0) {
        node = child.node;
        descended = true;
        break;
      }
    }
    if (!descended) return (TSNode){0};
  }
}

TSNode discover_child_by_field_id(TSNode self, TSFieldId field_id) {
recur:
  if (!field_id) return (TSNode){0};
  Subtree subtree = *(const Subtree *)self.id;
  if (visible_children(subtree) == 0) return (TSNode){0};
  const TSFieldMapEntry *field_map, *field_map_end;
  ts_language_field_map(self.tree->language, subtree.ptr->production_id, &field_map,
                        &field_map_end);
  if (field_map == field_map_end) return (TSNode){0};
  // The entries are sorted by field id: narrow them to this field's.
  while (field_map->field_id < field_id) {
    field_map++;
    if (field_map == field_map_end) return (TSNode){0};
  }
  while (field_map_end[-1].field_id > field_id) {
    field_map_end--;
    if (field_map == field_map_end) return (TSNode){0};
  }
  Children children = children_of(self);
  Child child;
  while (next_child(&children, &child)) {
    if (child.extra || child.structural < field_map->child_index) continue;
    if (field_map->inherited) {
      // A hidden child's own fields are its visible parent's. The last candidate is
      // searched in place of this node; an earlier one may not hold the field.
      if (field_map + 1 == field_map_end) {
        self = child.node;
        goto recur;
      }
      TSNode found = discover_child_by_field_id(child.node, field_id);
      if (found.id) return found;
      field_map++;
      if (field_map == field_map_end) return (TSNode){0};
    } else if (is_visible(&child)) {
      return child.node;
    } else if (visible_children(*child.subtree) > 0) {
      // A field naming a hidden node with visible children names its first one.
      return first_visible_child(child.node);
    } else {
      field_map++;
      if (field_map == field_map_end) return (TSNode){0};
    }
  }
  return (TSNode){0};
}

// ts_node_child_with_descendant, computed the same way with the child listing inlined:
// `syntax::ancestors` climbs from symbols, imports and tests this way tens of thousands of
// times a run, and tree-sitter's version makes a function call per child for its start,
// end and child count. `extract::syntax`'s tests compare the two on every node of every
// fixture.
static TSNode child_with_descendant(TSNode self, TSNode descendant, uint32_t start_byte,
                                    uint32_t end_byte) {
  bool is_empty = start_byte == end_byte;
  for (;;) {
    Children children = children_of(self);
    Child child;
    for (;;) {
      if (!next_child(&children, &child) || child.node.context[0] > start_byte) {
        return (TSNode){0};
      }
      self = child.node;
      if (self.id == descendant.id) return self;
      // An empty descendant that ends within this child may be inside it or after it.
      if (is_empty && children.position.bytes >= end_byte &&
          visible_children(*child.subtree) > 0) {
        TSNode found = child_with_descendant(self, descendant, start_byte, end_byte);
        if (found.id) return is_visible(&child) ? self : found;
      }
      bool more = is_empty ? children.position.bytes <= end_byte
                           : children.position.bytes < end_byte;
      if (!more && visible_children(*child.subtree) > 0) break;
    }
    if (is_visible(&child)) return self;
  }
}

// The ancestors of `node` from its tree's root down to its parent, as climbing with
// ts_node_parent finds them, into `out`: at most `cap`; returns how many there are (more
// than `cap` when `out` was too short, and then only `cap` were written).
uint32_t discover_ancestors(TSNode node, TSNode *out, uint32_t cap) {
  TSNode current = ts_tree_root_node(node.tree);
  uint32_t start_byte = node.context[0];
  uint32_t end_byte = start_byte + ts_subtree_size(*(const Subtree *)node.id).bytes;
  uint32_t n = 0;
  while (current.id != node.id) {
    if (n < cap) out[n] = current;
    n++;
    TSNode next = child_with_descendant(current, node, start_byte, end_byte);
    if (!next.id) break;
    current = next;
  }
  return n;
}

// ts_node_parent, computed the same way with the child listing inlined: the extractors climb
// from a match to its declaration, statement or call this way thousands of times a run.
TSNode discover_parent(TSNode node) {
  TSNode current = ts_tree_root_node(node.tree);
  if (current.id == node.id) return (TSNode){0};
  uint32_t start_byte = node.context[0];
  uint32_t end_byte = start_byte + ts_subtree_size(*(const Subtree *)node.id).bytes;
  for (;;) {
    TSNode next = child_with_descendant(current, node, start_byte, end_byte);
    if (!next.id || next.id == node.id) return current;
    current = next;
  }
}

// The last visible node of a hidden node's children, seeing through hidden ones.
static TSNode last_visible(TSNode node) {
  for (;;) {
    Children children = children_of(node);
    Child child;
    TSNode candidate = {0};
    bool hidden = false;
    while (next_child(&children, &child)) {
      if (is_visible(&child)) {
        candidate = child.node;
        hidden = false;
      } else if (visible_children(*child.subtree) > 0) {
        candidate = child.node;
        hidden = true;
      }
    }
    if (!hidden) return candidate;
    node = candidate;
  }
}

// What a step through a node's children has seen before the target: the last visible node,
// or a hidden node after it whose last visible node is it (found only if needed).
typedef struct {
  TSNode last;
  TSNode pending;
} Before;

// Steps through the visible children of `node` (seeing through hidden ones) up to `target`;
// returns whether `target` was reached. A hidden child that ends before `target` starts is
// not entered: a module's statements sit under a balanced tree of hidden repetitions, and
// stepping through all of those before a statement would cost as much as listing them.
static bool scan_to(TSNode node, TSNode target, Before *before) {
  Children children = children_of(node);
  Child child;
  while (next_child(&children, &child)) {
    if (child.node.id == target.id && child.node.context[0] == target.context[0]) return true;
    if (is_visible(&child)) {
      before->last = child.node;
      before->pending = (TSNode){0};
    } else if (visible_children(*child.subtree) > 0) {
      // `children.position` is now where this child ends.
      if (children.position.bytes < target.context[0]) {
        before->pending = child.node;
      } else if (scan_to(child.node, target, before)) {
        return true;
      }
    }
  }
  return false;
}

// ts_node_prev_sibling: the child of `node`'s parent listed before it, tokens included.
TSNode discover_prev_sibling(TSNode node) {
  TSNode parent = discover_parent(node);
  Before before;
  memset(&before, 0, sizeof before);
  if (!parent.id || !scan_to(parent, node, &before)) return (TSNode){0};
  return before.pending.id ? last_visible(before.pending) : before.last;
}

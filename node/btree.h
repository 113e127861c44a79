/*
 * btree.h — a counted B+tree whose pages are records of a page store.
 *
 * One tree holds the elements of one collection (a hash, a list, a set, or
 * one of a sorted set's two orders).  Elements are (key, value) byte
 * strings.  A tree is either
 *
 *   BTREE_BY_KEY       ordered by key (memcmp, shorter first on a tie);
 *                      keys are unique
 *   BTREE_BY_POSITION  a sequence (lists): elements are addressed by
 *                      position only and their keys are empty
 *
 * Every internal entry carries the number of elements below it, so "the
 * element at position N" and "how many elements sort before key K" cost
 * O(height) page reads in both kinds of tree.
 *
 * The root page is not stored in the page store: it travels inside the
 * collection's metadata record (btree_root_encode / btree_load).  A small
 * collection therefore lives entirely in one record ("inline"); once the
 * root overflows it splits into stored pages and the root keeps only their
 * separators.  Pages are identified by a page number from the store's
 * allocator; pages refer to each other by number, so copying every page of
 * a tree under another prefix copies the tree.
 *
 * Page limits: a page splits when it holds more than BTREE_PAGE_ENTRIES
 * entries or more than BTREE_PAGE_BYTES bytes of encoded entries, but a page
 * always keeps at least one entry, so an element of any size fits.
 *
 * Memory: pages read during a command are cached in the tree handle; pages
 * changed are written to the store by btree_flush().  Items returned point
 * into cached pages and stay valid until the next call on the same tree.
 * Cursors are invalidated by any change to their tree.
 *
 * All functions returning int return -1 on a store error (the store has
 * logged it) or on a page that fails to decode (corrupt), unless stated
 * otherwise.
 */
#ifndef HERD_NODE_BTREE_H
#define HERD_NODE_BTREE_H

#include <stddef.h>
#include <stdint.h>

#define BTREE_PAGE_ENTRIES  128
#define BTREE_PAGE_BYTES    4096

/* The two kinds of tree. */
enum btree_order {
    BTREE_BY_KEY      = 1,
    BTREE_BY_POSITION = 2
};

/*
 * Where pages live.  read() returns 1 with a malloc'd copy of the page in
 * *data (the tree frees it), 0 when the page does not exist, -1 on error.
 * write() and remove() return 0 or -1.  allocate() returns a page number
 * never used before by this tree's owner.
 */
struct btree_store {
    void *context;
    int      (*read)(void *context, uint64_t page, char **data, size_t *size);
    int      (*write)(void *context, uint64_t page, const char *data, size_t size);
    int      (*remove)(void *context, uint64_t page);
    uint64_t (*allocate)(void *context);
};

/* One element as the tree hands it out (pointers into a cached page). */
struct btree_item {
    const char *key;
    size_t      key_length;
    const char *value;
    size_t      value_length;
};

struct btree_page;        /* a decoded page (private to btree.c) */
struct btree_page_cache;  /* cached and dirty pages (private to btree.c) */

/* A tree handle: open for the duration of one command. */
struct btree {
    const struct btree_store *store;
    int                       order;    /* enum btree_order */
    struct btree_page        *root;     /* decoded root, always in memory */
    struct btree_page_cache  *cache;
    int                       root_dirty;
};

/* Where a cursor stands: the path from the root to an element. */
#define BTREE_MAX_HEIGHT 16
struct btree_cursor {
    struct btree *tree;
    int           valid;                       /* 0: before the first / past the last */
    uint64_t      position;                    /* rank of the current element */
    int           height;
    uint64_t      pages[BTREE_MAX_HEIGHT];     /* page number per level (root: unused) */
    int           slots[BTREE_MAX_HEIGHT];     /* entry index per level */
};

/* --- Life cycle --- */

/* An empty tree. */
void     btree_init(struct btree *tree, const struct btree_store *store, int order);
/* A tree whose root was encoded by btree_root_encode().  Returns 0, or -1
 * if the bytes do not decode. */
int      btree_load(struct btree *tree, const struct btree_store *store, int order,
                    const char *root, size_t root_size);
/* Bytes btree_root_encode() writes. */
size_t   btree_root_size(const struct btree *tree);
void     btree_root_encode(const struct btree *tree, char *out);
/* 1 when the root changed since load/init (the metadata must be rewritten). */
int      btree_root_changed(const struct btree *tree);
/* Writes every changed page to the store (the root is the caller's). */
int      btree_flush(struct btree *tree);
/* Frees the handle's memory (unflushed changes to pages are dropped). */
void     btree_release(struct btree *tree);

/* --- Facts --- */

uint64_t btree_count(const struct btree *tree);
/* 1 when every element is in the root (no stored pages). */
int      btree_is_inline(const struct btree *tree);
/* Height: 1 for an inline tree. */
int      btree_height(const struct btree *tree);

/* --- BTREE_BY_KEY trees --- */

/* Exact lookup: 1 found (item filled), 0 absent. */
int      btree_find(struct btree *tree, const void *key, size_t key_length,
                    struct btree_item *item);
/* Inserts or replaces: 1 inserted, 0 replaced. */
int      btree_put(struct btree *tree, const void *key, size_t key_length,
                   const void *value, size_t value_length);
/* 1 removed, 0 absent. */
int      btree_remove(struct btree *tree, const void *key, size_t key_length);
/* How many elements sort before key; returns 1 when key itself is present
 * (then *rank is its position), 0 when absent. */
int      btree_rank(struct btree *tree, const void *key, size_t key_length,
                    uint64_t *rank);

/* --- Both kinds: by position (0 = first element) --- */

/* 1 and item filled, 0 when position >= count. */
int      btree_get_at(struct btree *tree, uint64_t position, struct btree_item *item);
/* Removes the element at position: 1, or 0 when out of range. */
int      btree_remove_at(struct btree *tree, uint64_t position);

/* --- BTREE_BY_POSITION trees only --- */

/* Inserts value so that it ends up at `position` (0..count; count appends). */
int      btree_insert_at(struct btree *tree, uint64_t position,
                         const void *value, size_t value_length);
/* Replaces the value at position: 1, or 0 when out of range. */
int      btree_replace_at(struct btree *tree, uint64_t position,
                          const void *value, size_t value_length);

/* --- Cursors (both kinds) --- */

/* Positions the cursor on the element at `position` (invalid if past the
 * end).  Returns 1 valid, 0 invalid. */
int      btree_seek_position(struct btree *tree, uint64_t position,
                             struct btree_cursor *cursor);
/* BTREE_BY_KEY: on the first element whose key is >= key.  1 / 0 / -1. */
int      btree_seek_key(struct btree *tree, const void *key, size_t key_length,
                        struct btree_cursor *cursor);
/* The current element: 1 and item filled, 0 when the cursor is invalid. */
int      btree_cursor_item(struct btree_cursor *cursor, struct btree_item *item);
/* Steps forward / backward.  1 on an element, 0 when it walked off the end
 * (the cursor becomes invalid), -1 on error. */
int      btree_cursor_next(struct btree_cursor *cursor);
int      btree_cursor_prev(struct btree_cursor *cursor);

/* --- Whole trees --- */

/* Removes every element and every stored page (the tree becomes empty). */
int      btree_clear(struct btree *tree);
/* Calls visit(page, context) for every stored page number of the tree
 * (not the root).  Returns 0 or -1. */
int      btree_foreach_page(struct btree *tree,
                            int (*visit)(uint64_t page, void *context),
                            void *context);

#endif

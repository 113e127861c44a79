/*
 * btree.c — a counted B+tree whose pages are records of a page store
 * (see btree.h).
 *
 * Page encoding, the same for stored pages and for the inline root
 * (varints are LEB128: 7 bits per byte, low bits first, canonical):
 *
 *   level   varint   0 for a leaf; a page's children are one level lower
 *   count   varint   number of entries that follow
 *   leaf entry       [key length varint, key]  value length varint, value
 *   internal entry   [key length varint, key]  child page varint,
 *                                              element count varint
 *
 * The bracketed key is present in BTREE_BY_KEY trees only (elements of a
 * BTREE_BY_POSITION tree have no key).  In an internal page the key of
 * entry i > 0 is a separator: every key below child i is >= it and every
 * key below child i - 1 is smaller.  Entry 0 has no separator of its own
 * (its lower bound is the parent's) and always holds an empty key.  The
 * element count of an internal entry is the number of elements below its
 * child, so positions and ranks cost one page per level.
 *
 * Decoding checks what could make a damaged page dangerous: every length
 * against the bytes left, canonical varints, a page's level and element
 * count against what its parent says (levels strictly decrease, so a
 * damaged page cannot make a walk loop), no empty stored page.  A page that
 * fails makes the call return -1.
 *
 * In memory a page is decoded once into an array of entries.  An entry
 * either points into the bytes the page was decoded from (`raw`) or owns
 * a block of its own (a new, changed or moved entry); it never points into
 * another page's bytes, so moving entries between pages copies the
 * borrowed ones.  `bytes` is kept equal to the encoded size of the
 * entries, so a page knows when it must split without encoding it.
 *
 * Shape: an overflowing page splits in two halves of about equal bytes,
 * except that an insert at the very end (start) of the tree splits the new
 * element off alone, so appended (prepended) runs leave full pages.  A page
 * that drops below a third of both limits merges with a neighbour when both
 * fit in one page (and again, while it stays small); an emptied page leaves
 * its parent; an internal root left with one child absorbs it.
 *
 * Calls and memory: every call that touches pages starts a new "call"
 * (a counter).  Memory released during a call (replaced entries, removed
 * pages) is freed when the next call starts, and cached clean pages are
 * evicted at the start of a call only when they were not used by the
 * previous call or this one: items handed out by a call therefore stay
 * valid through the next call (they may be its arguments).
 *
 * Changes reach the store only through btree_flush() (dirty pages are
 * written, removed pages deleted) and btree_clear() (which deletes every
 * page at once, as an emptied collection is deleted without a flush).
 */
#include <stdlib.h>
#include <string.h>
#include "shared/log.h"
#include "node/btree.h"

#define CACHE_FIRST_BUCKET_BITS 4
#define CACHE_CLEAN_LIMIT       1024  /* clean pages kept beyond the dirty ones */
#define INTERNAL_MIN_FANOUT     4     /* internal pages split on bytes only above this */
#define MERGE_FRACTION          3     /* below 1/3 of both limits a page tries to merge */
#define PAGE_FIRST_CAPACITY     8

/* How an overflowing page is cut. */
enum split_hint {
    SPLIT_HALVES,        /* two halves of about equal bytes */
    SPLIT_LAST_ALONE,    /* the last entry alone (appends at the end) */
    SPLIT_FIRST_ALONE    /* the first entry alone (inserts at the start) */
};

/*
 * One decoded entry.  key/value point into the page's raw bytes, into
 * `block` (owned: the key, then a leaf's value), or at a "" literal when
 * empty.
 */
struct btree_entry {
    const char *key;
    size_t      key_length;
    char       *block;
    union {
        struct {                    /* leaf */
            const char *value;
            size_t      value_length;
        };
        struct {                    /* internal */
            uint64_t    child;
            uint64_t    count;      /* elements below the child */
        };
    };
};

/* A decoded page: the root (not stored) or a cached stored page. */
struct btree_page {
    uint64_t            number;     /* page number (unused for the root) */
    int                 level;      /* 0: leaf */
    int                 dirty;      /* changed since read or last written */
    int                 stored;     /* some version of it is in the store */
    uint32_t            count;
    uint32_t            capacity;
    struct btree_entry *entries;
    size_t              bytes;      /* encoded size of the entries */
    uint64_t            total;      /* elements below (a leaf: count) */
    char               *raw;        /* bytes the page was decoded from */
    uint64_t            stamp;      /* last call that used it */
    struct btree_page  *next;       /* hash chain of the cache */
};

/* A growable array of pointers to free later. */
struct pointer_list {
    void  **items;
    size_t  count;
    size_t  capacity;
};

/* A growable array of page numbers. */
struct number_list {
    uint64_t *items;
    size_t    count;
    size_t    capacity;
};

/* Cached pages by number, and what the handle must free or remove later. */
struct btree_page_cache {
    struct btree_page **buckets;
    int                 bucket_bits;
    size_t              page_count;
    size_t              dirty_count;
    uint64_t            call;
    int                 evict_internal;   /* eviction takes internal pages too */
    struct pointer_list garbage_blocks;   /* entry blocks freed next call */
    struct pointer_list garbage_pages;    /* pages freed next call */
    struct number_list  removed;          /* stored pages to delete at flush */
    unsigned char      *scratch;          /* encoding buffer */
    size_t              scratch_size;
    int                 root_loaded;      /* root->raw holds the loaded root */
    size_t              loaded_root_size;
};

/* The pages and entry indexes from the root down to a leaf. */
struct btree_path {
    int                height;
    struct btree_page *pages[BTREE_MAX_HEIGHT];
    int                slots[BTREE_MAX_HEIGHT];
};

/* Bytes being decoded. */
struct reader {
    const unsigned char *at;
    const unsigned char *end;
};

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* malloc that aborts on no memory (as the rest of the node does). */
static void *
must_allocate(size_t size)
{
    void *memory = malloc(size > 0 ? size : 1);

    if (memory == NULL) {
        abort();
    }
    return memory;
}

static void *
must_reallocate(void *memory, size_t size)
{
    void *grown = realloc(memory, size > 0 ? size : 1);

    if (grown == NULL) {
        abort();
    }
    return grown;
}

/* memcpy that accepts an empty copy from any pointer. */
static void
copy_bytes(char *out, const void *in, size_t length)
{
    if (length > 0) {
        memcpy(out, in, length);
    }
}

static void
pointer_list_push(struct pointer_list *list, void *item)
{
    if (item == NULL) {
        return;
    }
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 16;
        list->items = must_reallocate(list->items, list->capacity * sizeof(*list->items));
    }
    list->items[list->count++] = item;
}

static void
number_list_push(struct number_list *list, uint64_t number)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 16;
        list->items = must_reallocate(list->items, list->capacity * sizeof(*list->items));
    }
    list->items[list->count++] = number;
}

/* ------------------------------------------------------------------------
 * Varints and keys
 * ------------------------------------------------------------------------ */

static size_t
varint_size(uint64_t value)
{
    size_t size = 1;

    while (value >= 0x80) {
        value >>= 7;
        size++;
    }
    return size;
}

static unsigned char *
varint_write(unsigned char *out, uint64_t value)
{
    while (value >= 0x80) {
        *out++ = (unsigned char)(value | 0x80);
        value >>= 7;
    }
    *out++ = (unsigned char)value;
    return out;
}

/* Reads a canonical varint of at most 64 bits.  Returns 0 or -1. */
static int
reader_varint(struct reader *reader, uint64_t *value)
{
    uint64_t result = 0;
    unsigned char byte;
    int shift = 0;

    if (reader->at < reader->end && *reader->at < 0x80) {
        *value = *reader->at++;
        return 0;
    }
    do {
        if (reader->at >= reader->end) {
            return -1;
        }
        byte = *reader->at++;
        if (shift == 63 && byte > 1) {
            return -1;
        }
        result |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (byte == 0 && shift > 7) {
        return -1;
    }
    *value = result;
    return 0;
}

/* Takes `length` bytes.  Returns 0 or -1 when fewer are left. */
static int
reader_bytes(struct reader *reader, uint64_t length, const char **bytes)
{
    if (length > (uint64_t)(reader->end - reader->at)) {
        return -1;
    }
    *bytes = length > 0 ? (const char *)reader->at : "";
    reader->at += length;
    return 0;
}

/* Key order: bytes first (memcmp), then the shorter key first. */
static int
compare_keys(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t common = a_length < b_length ? a_length : b_length;
    int result = common > 0 ? memcmp(a, b, common) : 0;

    if (result != 0) {
        return result;
    }
    return a_length < b_length ? -1 : (a_length > b_length ? 1 : 0);
}

/* ------------------------------------------------------------------------
 * Entries
 * ------------------------------------------------------------------------ */

static int
tree_has_keys(const struct btree *tree)
{
    return tree->order == BTREE_BY_KEY;
}

/* Elements an entry stands for. */
static uint64_t
entry_weight(int level, const struct btree_entry *entry)
{
    return level == 0 ? 1 : entry->count;
}

/* Encoded size of an entry of a page at `level`. */
static size_t
entry_size(const struct btree *tree, int level, const struct btree_entry *entry)
{
    size_t size = 0;

    if (tree_has_keys(tree)) {
        size += varint_size(entry->key_length) + entry->key_length;
    }
    if (level == 0) {
        return size + varint_size(entry->value_length) + entry->value_length;
    }
    return size + varint_size(entry->child) + varint_size(entry->count);
}

/* A new leaf entry owning copies of key and value. */
static void
entry_fill_leaf(struct btree_entry *entry, const void *key, size_t key_length,
                const void *value, size_t value_length)
{
    size_t length = key_length + value_length;

    entry->block = length > 0 ? must_allocate(length) : NULL;
    copy_bytes(entry->block, key, key_length);
    copy_bytes(entry->block + key_length, value, value_length);
    entry->key = key_length > 0 ? entry->block : "";
    entry->key_length = key_length;
    entry->value = value_length > 0 ? entry->block + key_length : "";
    entry->value_length = value_length;
}

/* A new internal entry owning a copy of its separator. */
static void
entry_fill_internal(struct btree_entry *entry, const char *key, size_t key_length,
                    uint64_t child, uint64_t count)
{
    entry->block = key_length > 0 ? must_allocate(key_length) : NULL;
    copy_bytes(entry->block, key, key_length);
    entry->key = key_length > 0 ? entry->block : "";
    entry->key_length = key_length;
    entry->child = child;
    entry->count = count;
}

/* Makes an entry own its bytes (before it leaves its page). */
static void
entry_own(struct btree_entry *entry, int level)
{
    size_t value_length = level == 0 ? entry->value_length : 0;
    size_t length = entry->key_length + value_length;

    if (entry->block != NULL || length == 0) {
        return;
    }
    entry->block = must_allocate(length);
    copy_bytes(entry->block, entry->key, entry->key_length);
    if (entry->key_length > 0) {
        entry->key = entry->block;
    }
    if (level == 0 && value_length > 0) {
        copy_bytes(entry->block + entry->key_length, entry->value, value_length);
        entry->value = entry->block + entry->key_length;
    }
}

static void
item_fill(struct btree_item *item, const struct btree_entry *entry)
{
    item->key = entry->key;
    item->key_length = entry->key_length;
    item->value = entry->value;
    item->value_length = entry->value_length;
}

/* ------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------ */

static struct btree_page *
page_alloc(int level)
{
    struct btree_page *page = must_allocate(sizeof(*page));

    memset(page, 0, sizeof(*page));
    page->level = level;
    return page;
}

/* Room for `capacity` entries. */
static void
page_reserve(struct btree_page *page, size_t capacity)
{
    size_t grown = page->capacity ? page->capacity : PAGE_FIRST_CAPACITY;

    if (capacity <= page->capacity) {
        return;
    }
    while (grown < capacity) {
        grown *= 2;
    }
    page->entries = must_reallocate(page->entries, grown * sizeof(*page->entries));
    page->capacity = (uint32_t)grown;
}

static void
page_free(struct btree_page *page)
{
    uint32_t slot;

    if (page == NULL) {
        return;
    }
    for (slot = 0; slot < page->count; slot++) {
        free(page->entries[slot].block);
    }
    free(page->entries);
    free(page->raw);
    free(page);
}

/* A page whose entries are all gone (root reset). */
static void
page_empty(struct btree *tree, struct btree_page *page, int level)
{
    uint32_t slot;

    for (slot = 0; slot < page->count; slot++) {
        pointer_list_push(&tree->cache->garbage_blocks, page->entries[slot].block);
    }
    page->count = 0;
    page->bytes = 0;
    page->total = 0;
    page->level = level;
}

static size_t
page_encoded_size(const struct btree_page *page)
{
    return varint_size((uint64_t)page->level) + varint_size(page->count) + page->bytes;
}

/* Encodes a page into page_encoded_size() bytes at out. */
static void
page_encode(const struct btree *tree, const struct btree_page *page, unsigned char *out)
{
    const struct btree_entry *entry;
    uint32_t slot;

    out = varint_write(out, (uint64_t)page->level);
    out = varint_write(out, page->count);
    for (slot = 0; slot < page->count; slot++) {
        entry = &page->entries[slot];
        if (tree_has_keys(tree)) {
            out = varint_write(out, entry->key_length);
            copy_bytes((char *)out, entry->key, entry->key_length);
            out += entry->key_length;
        }
        if (page->level == 0) {
            out = varint_write(out, entry->value_length);
            copy_bytes((char *)out, entry->value, entry->value_length);
            out += entry->value_length;
        } else {
            out = varint_write(out, entry->child);
            out = varint_write(out, entry->count);
        }
    }
}

/*
 * Decodes the entry at `slot`, checking its lengths and counts.  Key order
 * is not checked (the store checksums pages; a misordered page could only
 * misplace keys, never make a read go out of bounds).
 */
static int
entry_decode(const struct btree *tree, struct reader *reader,
             struct btree_page *page, uint32_t slot)
{
    struct btree_entry *entry = &page->entries[slot];
    uint64_t length = 0;

    entry->block = NULL;
    entry->key = "";
    entry->key_length = 0;
    if (tree_has_keys(tree) &&
        (reader_varint(reader, &length) != 0 ||
         reader_bytes(reader, length, &entry->key) != 0)) {
        return -1;
    }
    entry->key_length = (size_t)length;
    if (page->level == 0) {
        if (reader_varint(reader, &length) != 0 ||
            reader_bytes(reader, length, &entry->value) != 0) {
            return -1;
        }
        entry->value_length = (size_t)length;
    } else if (reader_varint(reader, &entry->child) != 0 ||
               reader_varint(reader, &entry->count) != 0 || entry->count == 0 ||
               page->total + entry->count < page->total ||
               (slot == 0 && entry->key_length != 0)) {
        return -1;
    }
    page->total += entry_weight(page->level, entry);
    page->bytes += entry_size(tree, page->level, entry);
    return 0;
}

/*
 * Decodes `size` bytes into an empty page, which takes ownership of raw
 * (freed with the page even on failure).  Returns 0 or -1.
 */
static int
page_decode(const struct btree *tree, char *raw, size_t size, struct btree_page *page)
{
    struct reader reader;
    uint64_t level, count;

    page->raw = raw;
    if (size == 0) {
        return -1;
    }
    reader.at = (const unsigned char *)raw;
    reader.end = reader.at + size;
    if (reader_varint(&reader, &level) != 0 || level >= BTREE_MAX_HEIGHT ||
        reader_varint(&reader, &count) != 0 ||
        count > (uint64_t)(reader.end - reader.at) || count > UINT32_MAX / 2) {
        return -1;
    }
    page->level = (int)level;
    page_reserve(page, (size_t)count);
    while (page->count < count) {
        if (entry_decode(tree, &reader, page, page->count) != 0) {
            return -1;
        }
        page->count++;
    }
    return reader.at == reader.end ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * The page cache
 * ------------------------------------------------------------------------ */

static struct btree_page_cache *
cache_new(void)
{
    struct btree_page_cache *cache = must_allocate(sizeof(*cache));

    memset(cache, 0, sizeof(*cache));
    cache->bucket_bits = CACHE_FIRST_BUCKET_BITS;
    cache->buckets = must_allocate(sizeof(*cache->buckets) << cache->bucket_bits);
    memset(cache->buckets, 0, sizeof(*cache->buckets) << cache->bucket_bits);
    return cache;
}

static size_t
cache_bucket_count(const struct btree_page_cache *cache)
{
    return (size_t)1 << cache->bucket_bits;
}

static struct btree_page **
cache_bucket(const struct btree_page_cache *cache, uint64_t number)
{
    return &cache->buckets[(number * UINT64_C(0x9E3779B97F4A7C15)) >>
                           (64 - cache->bucket_bits)];
}

static struct btree_page *
cache_lookup(const struct btree_page_cache *cache, uint64_t number)
{
    struct btree_page *page = *cache_bucket(cache, number);

    while (page != NULL && page->number != number) {
        page = page->next;
    }
    return page;
}

/* Doubles the bucket array. */
static void
cache_grow(struct btree_page_cache *cache)
{
    struct btree_page **old = cache->buckets, *page, *next;
    size_t old_count = cache_bucket_count(cache), bucket;

    cache->bucket_bits++;
    cache->buckets = must_allocate(sizeof(*cache->buckets) << cache->bucket_bits);
    memset(cache->buckets, 0, sizeof(*cache->buckets) << cache->bucket_bits);
    for (bucket = 0; bucket < old_count; bucket++) {
        for (page = old[bucket]; page != NULL; page = next) {
            struct btree_page **head = cache_bucket(cache, page->number);

            next = page->next;
            page->next = *head;
            *head = page;
        }
    }
    free(old);
}

static void
cache_insert(struct btree_page_cache *cache, struct btree_page *page)
{
    struct btree_page **head;

    if (cache->page_count >= cache_bucket_count(cache)) {
        cache_grow(cache);
    }
    head = cache_bucket(cache, page->number);
    page->next = *head;
    *head = page;
    cache->page_count++;
}

static void
cache_unlink(struct btree_page_cache *cache, struct btree_page *page)
{
    struct btree_page **link = cache_bucket(cache, page->number);

    while (*link != NULL && *link != page) {
        link = &(*link)->next;
    }
    if (*link == page) {
        *link = page->next;
        page->next = NULL;
        cache->page_count--;
    }
}

/* Calls fn(cache, page) for every cached page (fn may unlink it). */
static void
cache_each(struct btree_page_cache *cache,
           void (*fn)(struct btree_page_cache *cache, struct btree_page *page))
{
    size_t bucket, count = cache_bucket_count(cache);
    struct btree_page *page, *next;

    for (bucket = 0; bucket < count; bucket++) {
        for (page = cache->buckets[bucket]; page != NULL; page = next) {
            next = page->next;
            fn(cache, page);
        }
    }
}

/* Evicts a clean page unused by the previous call and this one (a leaf,
 * or any page when evict_internal is set). */
static void
cache_evict_page(struct btree_page_cache *cache, struct btree_page *page)
{
    if (!page->dirty && page->stamp + 1 < cache->call &&
        (page->level == 0 || cache->evict_internal)) {
        cache_unlink(cache, page);
        page_free(page);
    }
}

/* Moves a page to the garbage (freed at the start of the next call). */
static void
cache_drop_page(struct btree_page_cache *cache, struct btree_page *page)
{
    cache_unlink(cache, page);
    pointer_list_push(&cache->garbage_pages, page);
}

static void
cache_free_page(struct btree_page_cache *cache, struct btree_page *page)
{
    cache_unlink(cache, page);
    page_free(page);
}

static void
garbage_free(struct btree_page_cache *cache)
{
    size_t index;

    for (index = 0; index < cache->garbage_blocks.count; index++) {
        free(cache->garbage_blocks.items[index]);
    }
    cache->garbage_blocks.count = 0;
    for (index = 0; index < cache->garbage_pages.count; index++) {
        page_free(cache->garbage_pages.items[index]);
    }
    cache->garbage_pages.count = 0;
}

/* More clean pages cached than kept across calls. */
static int
cache_over_limit(const struct btree_page_cache *cache)
{
    return cache->page_count - cache->dirty_count >
           CACHE_CLEAN_LIMIT + cache->dirty_count;
}

/*
 * Starts a call: frees what the previous calls released and, when many
 * clean pages are cached, evicts those the previous call did not use:
 * leaves first, internal pages (few, and on every path) only if that was
 * not enough.
 */
static void
call_begin(struct btree *tree)
{
    struct btree_page_cache *cache = tree->cache;

    cache->call++;
    garbage_free(cache);
    if (cache_over_limit(cache)) {
        cache->evict_internal = 0;
        cache_each(cache, cache_evict_page);
        if (cache_over_limit(cache)) {
            cache->evict_internal = 1;
            cache_each(cache, cache_evict_page);
        }
    }
}

static unsigned char *
scratch_reserve(struct btree_page_cache *cache, size_t size)
{
    if (size > cache->scratch_size) {
        free(cache->scratch);
        cache->scratch = must_allocate(size);
        cache->scratch_size = size;
    }
    return cache->scratch;
}

/* ------------------------------------------------------------------------
 * Page access
 * ------------------------------------------------------------------------ */

static void
page_mark_dirty(struct btree *tree, struct btree_page *page)
{
    if (page == tree->root) {
        tree->root_dirty = 1;
    } else if (!page->dirty) {
        page->dirty = 1;
        tree->cache->dirty_count++;
    }
}

/* Reads and decodes a stored page into the cache.  NULL on failure. */
static struct btree_page *
page_read(struct btree *tree, uint64_t number)
{
    struct btree_page *page;
    char *data = NULL;
    size_t size = 0;
    int found = tree->store->read(tree->store->context, number, &data, &size);

    if (found < 0) {
        return NULL;
    }
    if (found == 0) {
        log_warning("btree: page %llu is missing", (unsigned long long)number);
        return NULL;
    }
    page = page_alloc(0);
    if (page_decode(tree, data, size, page) != 0) {
        log_warning("btree: page %llu does not decode", (unsigned long long)number);
        page_free(page);
        return NULL;
    }
    page->number = number;
    page->stored = 1;
    cache_insert(tree->cache, page);
    return page;
}

/*
 * The stored page `number`, which its parent says is at `level` with
 * `elements` elements below it: from the cache or the store.
 */
static struct btree_page *
page_get(struct btree *tree, uint64_t number, int level, uint64_t elements)
{
    struct btree_page *page = cache_lookup(tree->cache, number);

    if (page == NULL) {
        page = page_read(tree, number);
        if (page == NULL) {
            return NULL;
        }
    }
    if (page->level != level || page->total != elements || page->count == 0) {
        log_warning("btree: page %llu does not match its parent",
                    (unsigned long long)number);
        return NULL;
    }
    page->stamp = tree->cache->call;
    return page;
}

/* The child of an internal page's entry `slot`. */
static struct btree_page *
page_child(struct btree *tree, const struct btree_page *parent, int slot)
{
    const struct btree_entry *entry = &parent->entries[slot];

    return page_get(tree, entry->child, parent->level - 1, entry->count);
}

/* A new empty stored page (dirty, cached). */
static struct btree_page *
page_new(struct btree *tree, int level)
{
    struct btree_page *page = page_alloc(level);

    page->number = tree->store->allocate(tree->store->context);
    page->stamp = tree->cache->call;
    cache_insert(tree->cache, page);
    page_mark_dirty(tree, page);
    return page;
}

/* Drops a page from the tree: its stored copy is deleted at flush. */
static void
page_discard(struct btree *tree, struct btree_page *page)
{
    struct btree_page_cache *cache = tree->cache;

    if (page->dirty) {
        cache->dirty_count--;
    }
    if (page->stored) {
        number_list_push(&cache->removed, page->number);
    }
    cache_drop_page(cache, page);
}

/* ------------------------------------------------------------------------
 * Changing entries (every change keeps bytes and total exact)
 * ------------------------------------------------------------------------ */

static void
page_insert_entry(struct btree *tree, struct btree_page *page, uint32_t slot,
                  const struct btree_entry *entry)
{
    page_reserve(page, (size_t)page->count + 1);
    memmove(&page->entries[slot + 1], &page->entries[slot],
            (page->count - slot) * sizeof(*entry));
    page->entries[slot] = *entry;
    page->count++;
    page->bytes += entry_size(tree, page->level, entry);
    page->total += entry_weight(page->level, entry);
    page_mark_dirty(tree, page);
}

/* Gives an internal entry a copy of `key` as its separator. */
static void
internal_set_key(struct btree *tree, struct btree_page *page,
                 struct btree_entry *entry, const char *key, size_t key_length)
{
    page->bytes -= entry_size(tree, page->level, entry);
    pointer_list_push(&tree->cache->garbage_blocks, entry->block);
    entry_fill_internal(entry, key, key_length, entry->child, entry->count);
    page->bytes += entry_size(tree, page->level, entry);
    page_mark_dirty(tree, page);
}

/* Entry 0 of an internal page holds no separator. */
static void
page_clear_first_key(struct btree *tree, struct btree_page *page)
{
    if (page->level > 0 && page->count > 0 && page->entries[0].key_length > 0) {
        internal_set_key(tree, page, &page->entries[0], "", 0);
    }
}

static void
page_delete_entry(struct btree *tree, struct btree_page *page, uint32_t slot)
{
    struct btree_entry *entry = &page->entries[slot];

    page->bytes -= entry_size(tree, page->level, entry);
    page->total -= entry_weight(page->level, entry);
    pointer_list_push(&tree->cache->garbage_blocks, entry->block);
    memmove(entry, entry + 1, (page->count - slot - 1) * sizeof(*entry));
    page->count--;
    page_mark_dirty(tree, page);
    if (slot == 0) {
        page_clear_first_key(tree, page);
    }
}

static void
internal_set_count(struct btree *tree, struct btree_page *page,
                   struct btree_entry *entry, uint64_t count)
{
    page->bytes -= varint_size(entry->count);
    page->total -= entry->count;
    entry->count = count;
    page->bytes += varint_size(count);
    page->total += count;
    page_mark_dirty(tree, page);
}

static void
internal_set_child(struct btree *tree, struct btree_page *page,
                   struct btree_entry *entry, uint64_t child)
{
    page->bytes -= varint_size(entry->child);
    entry->child = child;
    page->bytes += varint_size(child);
    page_mark_dirty(tree, page);
}

static void
leaf_set_value(struct btree *tree, struct btree_page *page,
               struct btree_entry *entry, const void *value, size_t value_length)
{
    struct btree_entry fresh;

    page->bytes -= entry_size(tree, 0, entry);
    entry_fill_leaf(&fresh, entry->key, entry->key_length, value, value_length);
    pointer_list_push(&tree->cache->garbage_blocks, entry->block);
    *entry = fresh;
    page->bytes += entry_size(tree, 0, entry);
    page_mark_dirty(tree, page);
}

/*
 * Moves entries [start, start + count) of `from` to index `at` of `to`
 * (same level).  Entries borrowing from's raw bytes get their own copy.
 */
static void
entries_move(struct btree *tree, struct btree_page *from, uint32_t start,
             uint32_t count, struct btree_page *to, uint32_t at)
{
    size_t bytes = 0;
    uint64_t weight = 0;
    uint32_t index;

    page_reserve(to, (size_t)to->count + count);
    memmove(&to->entries[at + count], &to->entries[at],
            (to->count - at) * sizeof(*to->entries));
    for (index = 0; index < count; index++) {
        struct btree_entry *entry = &from->entries[start + index];

        entry_own(entry, from->level);
        bytes += entry_size(tree, from->level, entry);
        weight += entry_weight(from->level, entry);
        to->entries[at + index] = *entry;
    }
    memmove(&from->entries[start], &from->entries[start + count],
            (from->count - start - count) * sizeof(*from->entries));
    from->count -= count;
    from->bytes -= bytes;
    from->total -= weight;
    to->count += count;
    to->bytes += bytes;
    to->total += weight;
    page_mark_dirty(tree, from);
    page_mark_dirty(tree, to);
}

/* ------------------------------------------------------------------------
 * Searching
 * ------------------------------------------------------------------------ */

/* First entry whose key is >= key; *found when equal. */
static uint32_t
leaf_search(const struct btree_page *page, const char *key, size_t key_length, int *found)
{
    uint32_t low = 0, high = page->count, middle;
    int order;

    *found = 0;
    while (low < high) {
        middle = low + (high - low) / 2;
        order = compare_keys(page->entries[middle].key, page->entries[middle].key_length,
                             key, key_length);
        if (order == 0) {
            *found = 1;
            return middle;
        }
        if (order < 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* The child whose key range holds key: the last separator <= key. */
static uint32_t
internal_search(const struct btree_page *page, const char *key, size_t key_length)
{
    uint32_t low = 1, high = page->count, middle;

    while (low < high) {
        middle = low + (high - low) / 2;
        if (compare_keys(page->entries[middle].key, page->entries[middle].key_length,
                         key, key_length) <= 0) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low - 1;
}

/*
 * Walks from the root to the leaf where key is or would go, filling path;
 * *rank is the number of elements before that place.  Returns 1 when the
 * key is present, 0 when absent, -1 on a page error.
 */
static int
descend_key(struct btree *tree, const void *key, size_t key_length,
            struct btree_path *path, uint64_t *rank)
{
    struct btree_page *page = tree->root;
    uint64_t before = 0;
    uint32_t slot, index;
    int level = 0, found;

    path->height = page->level + 1;
    for (;;) {
        path->pages[level] = page;
        if (page->level == 0) {
            slot = leaf_search(page, key, key_length, &found);
            path->slots[level] = (int)slot;
            *rank = before + slot;
            return found;
        }
        slot = internal_search(page, key, key_length);
        for (index = 0; index < slot; index++) {
            before += page->entries[index].count;
        }
        path->slots[level] = (int)slot;
        page = page_child(tree, page, (int)slot);
        if (page == NULL) {
            return -1;
        }
        level++;
    }
}

/*
 * Walks from the root to the element at `position` (< count), or for an
 * insert to the place where an element at `position` (<= count) goes.
 * Returns 0 or -1.
 */
static int
descend_position(struct btree *tree, uint64_t position, struct btree_path *path,
                 int for_insert)
{
    struct btree_page *page = tree->root;
    uint32_t slot;
    int level = 0;

    path->height = page->level + 1;
    for (;;) {
        path->pages[level] = page;
        if (page->level == 0) {
            if (position > page->count || (!for_insert && position == page->count)) {
                return -1;
            }
            path->slots[level] = (int)position;
            return 0;
        }
        for (slot = 0; slot + 1 < page->count; slot++) {
            if (position < page->entries[slot].count) {
                break;
            }
            position -= page->entries[slot].count;
        }
        path->slots[level] = (int)slot;
        page = page_child(tree, page, (int)slot);
        if (page == NULL) {
            return -1;
        }
        level++;
    }
}

/* The leaf entry a path ends at. */
static const struct btree_entry *
path_entry(const struct btree_path *path)
{
    int leaf = path->height - 1;

    return &path->pages[leaf]->entries[path->slots[leaf]];
}

/* Adds delta to the element counts along a path (a leaf insert/delete). */
static void
path_add_count(struct btree *tree, struct btree_path *path, int64_t delta)
{
    struct btree_entry *entry;
    int level;

    for (level = path->height - 2; level >= 0; level--) {
        entry = &path->pages[level]->entries[path->slots[level]];
        internal_set_count(tree, path->pages[level], entry,
                           entry->count + (uint64_t)delta);
    }
}

/*
 * How to split for an insert at the path's place: at the very end of the
 * tree the new element goes to a page of its own (appends fill pages), at
 * the very start likewise, elsewhere pages split in halves.
 */
static int
path_edge_hint(const struct btree_path *path)
{
    int leaf = path->height - 1, level, last, first;
    const struct btree_page *page = path->pages[leaf];

    if (page->count == 0) {
        return SPLIT_HALVES;
    }
    last = (uint32_t)path->slots[leaf] == page->count;
    first = path->slots[leaf] == 0;
    for (level = 0; level < leaf; level++) {
        if ((uint32_t)path->slots[level] + 1 != path->pages[level]->count) {
            last = 0;
        }
        if (path->slots[level] != 0) {
            first = 0;
        }
    }
    return last ? SPLIT_LAST_ALONE : (first ? SPLIT_FIRST_ALONE : SPLIT_HALVES);
}

/* ------------------------------------------------------------------------
 * Growing: splits
 * ------------------------------------------------------------------------ */

/* Too big for one page (and splittable: a page keeps at least one entry). */
static int
page_overflows(const struct btree_page *page)
{
    if (page->count < 2) {
        return 0;
    }
    if (page->count > BTREE_PAGE_ENTRIES) {
        return 1;
    }
    if (page->bytes <= BTREE_PAGE_BYTES) {
        return 0;
    }
    return page->level == 0 || page->count > INTERNAL_MIN_FANOUT;
}

/* Where to cut an overflowing page: entries [0, m) stay left. */
static uint32_t
split_point(const struct btree *tree, const struct btree_page *page, int hint)
{
    uint32_t count = page->count, best = 1, index;
    size_t before = 0, after, gap, best_gap = SIZE_MAX;

    if (hint == SPLIT_LAST_ALONE) {
        return count - 1;
    }
    if (hint == SPLIT_FIRST_ALONE) {
        return 1;
    }
    for (index = 1; index < count; index++) {
        before += entry_size(tree, page->level, &page->entries[index - 1]);
        after = page->bytes - before;
        gap = before > after ? before - after : after - before;
        if (gap < best_gap) {
            best_gap = gap;
            best = index;
        }
        if (before > after) {
            break;
        }
    }
    if (best > BTREE_PAGE_ENTRIES) {
        best = BTREE_PAGE_ENTRIES;
    }
    if (count - best > BTREE_PAGE_ENTRIES) {
        best = count - BTREE_PAGE_ENTRIES;
    }
    return best;
}

/*
 * The separator for a cut before entry m: in a leaf the shortest prefix
 * of entry m's key that is greater than entry m - 1's key; in an internal
 * page entry m's separator itself.  Points into the page's memory.
 */
static size_t
split_separator(const struct btree *tree, const struct btree_page *page, uint32_t middle,
                const char **separator)
{
    const struct btree_entry *last, *first = &page->entries[middle];
    size_t common = 0, limit;

    *separator = first->key;
    if (!tree_has_keys(tree) || page->level > 0) {
        return first->key_length;
    }
    last = &page->entries[middle - 1];
    limit = last->key_length < first->key_length ? last->key_length : first->key_length;
    while (common < limit && last->key[common] == first->key[common]) {
        common++;
    }
    return common + 1 < first->key_length ? common + 1 : first->key_length;
}

/*
 * Splits `page`, the child at parent entry `slot`, in two.  A new page
 * takes the right part, or with SPLIT_FIRST_ALONE the left part (then
 * it sits at `slot` and `page` at slot + 1).  Returns the new page.
 */
static struct btree_page *
page_split(struct btree *tree, struct btree_page *parent, int slot,
           struct btree_page *page, int hint)
{
    uint32_t middle = split_point(tree, page, hint);
    struct btree_page *fresh = page_new(tree, page->level);
    struct btree_entry entry;
    const char *separator;
    size_t separator_length = split_separator(tree, page, middle, &separator);

    if (hint == SPLIT_FIRST_ALONE) {
        entries_move(tree, page, 0, middle, fresh, 0);
        page_clear_first_key(tree, page);
        internal_set_count(tree, parent, &parent->entries[slot], page->total);
        entry_fill_internal(&entry, parent->entries[slot].key,
                            parent->entries[slot].key_length, fresh->number,
                            fresh->total);
        page_insert_entry(tree, parent, (uint32_t)slot, &entry);
        internal_set_key(tree, parent, &parent->entries[slot + 1], separator,
                         separator_length);
        return fresh;
    }
    entries_move(tree, page, middle, page->count - middle, fresh, 0);
    page_clear_first_key(tree, fresh);
    internal_set_count(tree, parent, &parent->entries[slot], page->total);
    entry_fill_internal(&entry, separator, separator_length, fresh->number, fresh->total);
    page_insert_entry(tree, parent, (uint32_t)slot + 1, &entry);
    return fresh;
}

/*
 * Splits the child at parent entry `slot` until every piece fits (a piece
 * may need more than one cut when entries are big).  The parent may
 * overflow as a result; its own parent deals with that.
 */
static void
page_split_until_fits(struct btree *tree, struct btree_page *parent, int slot,
                      struct btree_page *page, int hint)
{
    struct btree_page *fresh, *left, *right;

    if (!page_overflows(page)) {
        return;
    }
    fresh = page_split(tree, parent, slot, page, hint);
    left = hint == SPLIT_FIRST_ALONE ? fresh : page;
    right = hint == SPLIT_FIRST_ALONE ? page : fresh;
    /* Right first: cutting it only inserts entries after slot + 1. */
    page_split_until_fits(tree, parent, slot + 1, right, SPLIT_HALVES);
    page_split_until_fits(tree, parent, slot, left, SPLIT_HALVES);
}

/* Moves an overflowing root's entries into a new child (height + 1). */
static int
root_push_down(struct btree *tree, int hint)
{
    struct btree_page *root = tree->root, *child;
    struct btree_entry entry;

    if (root->level + 1 >= BTREE_MAX_HEIGHT) {
        log_warning("btree: tree too high");
        return -1;
    }
    child = page_new(tree, root->level);
    entries_move(tree, root, 0, root->count, child, 0);
    root->level++;
    entry_fill_internal(&entry, "", 0, child->number, child->total);
    page_insert_entry(tree, root, 0, &entry);
    page_split_until_fits(tree, root, 0, child, hint);
    return 0;
}

/* After a path's pages grew: splits what overflows, bottom up. */
static int
path_fix_grow(struct btree *tree, struct btree_path *path, int hint)
{
    int level;

    for (level = path->height - 1; level >= 1; level--) {
        page_split_until_fits(tree, path->pages[level - 1], path->slots[level - 1],
                              path->pages[level], hint);
    }
    while (page_overflows(tree->root)) {
        if (root_push_down(tree, hint) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Shrinking: removals and merges
 * ------------------------------------------------------------------------ */

/* Small enough in both limits to look for a neighbour to merge with. */
static int
page_underfull(const struct btree_page *page)
{
    return page->count * MERGE_FRACTION <= BTREE_PAGE_ENTRIES &&
           page->bytes * MERGE_FRACTION <= BTREE_PAGE_BYTES;
}

/* 1 when the children at parent entries left_slot and left_slot + 1 fit in one page. */
static int
pages_fit(const struct btree *tree, const struct btree_page *parent, int left_slot,
          const struct btree_page *left, const struct btree_page *right)
{
    size_t bytes = left->bytes + right->bytes;
    size_t separator = parent->entries[left_slot + 1].key_length;

    if (left->count + right->count > BTREE_PAGE_ENTRIES) {
        return 0;
    }
    if (left->level > 0 && tree_has_keys(tree)) {
        /* right's entry 0 takes the parent's separator */
        bytes += varint_size(separator) + separator - varint_size(0);
    }
    return bytes <= BTREE_PAGE_BYTES;
}

/*
 * Merges the children at parent entries left_slot and left_slot + 1 (the
 * smaller one's entries move).  Returns the page that holds them.
 */
static struct btree_page *
pages_merge(struct btree *tree, struct btree_page *parent, int left_slot,
            struct btree_page *left, struct btree_page *right)
{
    struct btree_page *survivor, *victim;
    const struct btree_entry *separator = &parent->entries[left_slot + 1];

    if (left->level > 0 && tree_has_keys(tree)) {
        internal_set_key(tree, right, &right->entries[0], separator->key,
                         separator->key_length);
    }
    if (left->count >= right->count) {
        entries_move(tree, right, 0, right->count, left, left->count);
        survivor = left;
        victim = right;
    } else {
        entries_move(tree, left, 0, left->count, right, 0);
        survivor = right;
        victim = left;
    }
    internal_set_child(tree, parent, &parent->entries[left_slot], survivor->number);
    internal_set_count(tree, parent, &parent->entries[left_slot], survivor->total);
    page_delete_entry(tree, parent, (uint32_t)left_slot + 1);
    page_discard(tree, victim);
    return survivor;
}

/*
 * Merges a small page, the child at parent entry *slot, with a neighbour
 * when both fit in one page; then *page and *slot are the merged page's.
 * Returns 1 merged, 0 not, -1 on a page error.
 */
static int
page_try_merge(struct btree *tree, struct btree_page *parent, int *slot,
               struct btree_page **page)
{
    struct btree_page *neighbour;

    if (*slot > 0) {
        neighbour = page_child(tree, parent, *slot - 1);
        if (neighbour == NULL) {
            return -1;
        }
        if (pages_fit(tree, parent, *slot - 1, neighbour, *page)) {
            *page = pages_merge(tree, parent, *slot - 1, neighbour, *page);
            (*slot)--;
            return 1;
        }
    }
    if ((uint32_t)*slot + 1 < parent->count) {
        neighbour = page_child(tree, parent, *slot + 1);
        if (neighbour == NULL) {
            return -1;
        }
        if (pages_fit(tree, parent, *slot, *page, neighbour)) {
            *page = pages_merge(tree, parent, *slot, *page, neighbour);
            return 1;
        }
    }
    return 0;
}

/* An internal root with one child takes the child's content (height - 1). */
static int
root_shrink(struct btree *tree)
{
    struct btree_page *root = tree->root, *child;

    while (root->level > 0 && root->count <= 1) {
        if (root->count == 0) {
            page_empty(tree, root, 0);
            tree->root_dirty = 1;
            break;
        }
        child = page_child(tree, root, 0);
        if (child == NULL) {
            return -1;
        }
        page_delete_entry(tree, root, 0);
        entries_move(tree, child, 0, child->count, root, 0);
        root->level = child->level;
        page_discard(tree, child);
    }
    return 0;
}

/*
 * After a path's leaf shrank: drops emptied pages, merges small ones, and
 * goes up while a level lost an entry; then shrinks the root.
 */
static int
path_fix_shrink(struct btree *tree, struct btree_path *path)
{
    struct btree_page *page, *parent;
    int level, shrunk = 1, slot, merged;

    for (level = path->height - 1; level >= 1 && shrunk; level--) {
        page = path->pages[level];
        parent = path->pages[level - 1];
        slot = path->slots[level - 1];
        shrunk = 0;
        if (page->count == 0) {
            page_delete_entry(tree, parent, (uint32_t)slot);
            page_discard(tree, page);
            shrunk = 1;
            continue;
        }
        /* a merged page still small may take its other neighbour too */
        while (page_underfull(page) && parent->count > 1) {
            merged = page_try_merge(tree, parent, &slot, &page);
            if (merged < 0) {
                return -1;
            }
            if (merged == 0) {
                break;
            }
            shrunk = 1;
        }
    }
    return root_shrink(tree);
}

/* Deletes the leaf entry a path points at. */
static int
path_delete(struct btree *tree, struct btree_path *path)
{
    int leaf = path->height - 1;

    page_delete_entry(tree, path->pages[leaf], (uint32_t)path->slots[leaf]);
    path_add_count(tree, path, -1);
    return path_fix_shrink(tree, path);
}

/* Inserts a new leaf entry at a path's place. */
static int
path_insert(struct btree *tree, struct btree_path *path, const void *key,
            size_t key_length, const void *value, size_t value_length)
{
    int leaf = path->height - 1, hint = path_edge_hint(path);
    struct btree_entry entry;

    entry_fill_leaf(&entry, key, key_length, value, value_length);
    page_insert_entry(tree, path->pages[leaf], (uint32_t)path->slots[leaf], &entry);
    path_add_count(tree, path, 1);
    return path_fix_grow(tree, path, hint);
}

/* Replaces the value of the leaf entry a path points at. */
static int
path_replace(struct btree *tree, struct btree_path *path, const void *value,
             size_t value_length)
{
    int leaf = path->height - 1;
    struct btree_page *page = path->pages[leaf];
    size_t before = page->bytes;

    leaf_set_value(tree, page, &page->entries[path->slots[leaf]], value, value_length);
    if (page->bytes > before) {
        return path_fix_grow(tree, path, SPLIT_HALVES);
    }
    if (page->bytes < before) {
        return path_fix_shrink(tree, path);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

void
btree_init(struct btree *tree, const struct btree_store *store, int order)
{
    tree->store = store;
    tree->order = order;
    tree->root = page_alloc(0);
    tree->cache = cache_new();
    tree->root_dirty = 0;
}

int
btree_load(struct btree *tree, const struct btree_store *store, int order,
           const char *root, size_t root_size)
{
    struct btree_page *page;
    char *raw;

    btree_init(tree, store, order);
    if (root == NULL || root_size == 0) {
        return -1;
    }
    raw = must_allocate(root_size);
    memcpy(raw, root, root_size);
    page = page_alloc(0);
    if (page_decode(tree, raw, root_size, page) != 0 ||
        (page->level > 0 && page->count == 0)) {
        page_free(page);
        return -1;
    }
    page_free(tree->root);
    tree->root = page;
    tree->cache->root_loaded = 1;
    tree->cache->loaded_root_size = root_size;
    return 0;
}

size_t
btree_root_size(const struct btree *tree)
{
    return page_encoded_size(tree->root);
}

void
btree_root_encode(const struct btree *tree, char *out)
{
    page_encode(tree, tree->root, (unsigned char *)out);
}

int
btree_root_changed(const struct btree *tree)
{
    struct btree_page_cache *cache = tree->cache;
    size_t size;

    if (!tree->root_dirty) {
        return 0;
    }
    size = page_encoded_size(tree->root);
    if (!cache->root_loaded || size != cache->loaded_root_size) {
        return 1;
    }
    page_encode(tree, tree->root, scratch_reserve(cache, size));
    return memcmp(cache->scratch, tree->root->raw, size) != 0;
}

/* Writes a cached page if it is dirty.  Returns 0 or -1. */
static int
flush_page(struct btree *tree, struct btree_page *page)
{
    struct btree_page_cache *cache = tree->cache;
    size_t size;

    if (!page->dirty) {
        return 0;
    }
    size = page_encoded_size(page);
    page_encode(tree, page, scratch_reserve(cache, size));
    if (tree->store->write(tree->store->context, page->number,
                           (const char *)cache->scratch, size) != 0) {
        return -1;
    }
    page->dirty = 0;
    page->stored = 1;
    cache->dirty_count--;
    return 0;
}

/* Deletes the stored pages dropped from the tree. */
static int
flush_removed(struct btree *tree)
{
    struct number_list *removed = &tree->cache->removed;

    while (removed->count > 0) {
        if (tree->store->remove(tree->store->context,
                                removed->items[removed->count - 1]) != 0) {
            return -1;
        }
        removed->count--;
    }
    return 0;
}

int
btree_flush(struct btree *tree)
{
    struct btree_page_cache *cache = tree->cache;
    size_t bucket, buckets = cache_bucket_count(cache);
    struct btree_page *page;

    call_begin(tree);
    for (bucket = 0; bucket < buckets && cache->dirty_count > 0; bucket++) {
        for (page = cache->buckets[bucket]; page != NULL; page = page->next) {
            if (flush_page(tree, page) != 0) {
                return -1;
            }
        }
    }
    return flush_removed(tree);
}

void
btree_release(struct btree *tree)
{
    struct btree_page_cache *cache = tree->cache;

    if (cache != NULL) {
        garbage_free(cache);
        cache_each(cache, cache_free_page);
        free(cache->buckets);
        free(cache->garbage_blocks.items);
        free(cache->garbage_pages.items);
        free(cache->removed.items);
        free(cache->scratch);
        free(cache);
    }
    page_free(tree->root);
    tree->root = NULL;
    tree->cache = NULL;
}

/* ------------------------------------------------------------------------
 * Facts
 * ------------------------------------------------------------------------ */

uint64_t
btree_count(const struct btree *tree)
{
    return tree->root->total;
}

int
btree_is_inline(const struct btree *tree)
{
    return tree->root->level == 0;
}

int
btree_height(const struct btree *tree)
{
    return tree->root->level + 1;
}

/* ------------------------------------------------------------------------
 * By key
 * ------------------------------------------------------------------------ */

int
btree_find(struct btree *tree, const void *key, size_t key_length,
           struct btree_item *item)
{
    struct btree_path path;
    uint64_t rank;
    int found;

    if (!tree_has_keys(tree)) {
        return -1;
    }
    call_begin(tree);
    found = descend_key(tree, key, key_length, &path, &rank);
    if (found == 1) {
        item_fill(item, path_entry(&path));
    }
    return found;
}

int
btree_put(struct btree *tree, const void *key, size_t key_length,
          const void *value, size_t value_length)
{
    struct btree_path path;
    uint64_t rank;
    int found;

    if (!tree_has_keys(tree)) {
        return -1;
    }
    call_begin(tree);
    found = descend_key(tree, key, key_length, &path, &rank);
    if (found < 0) {
        return -1;
    }
    if (found) {
        return path_replace(tree, &path, value, value_length) == 0 ? 0 : -1;
    }
    return path_insert(tree, &path, key, key_length, value, value_length) == 0 ? 1 : -1;
}

int
btree_remove(struct btree *tree, const void *key, size_t key_length)
{
    struct btree_path path;
    uint64_t rank;
    int found;

    if (!tree_has_keys(tree)) {
        return -1;
    }
    call_begin(tree);
    found = descend_key(tree, key, key_length, &path, &rank);
    if (found <= 0) {
        return found;
    }
    return path_delete(tree, &path) == 0 ? 1 : -1;
}

int
btree_rank(struct btree *tree, const void *key, size_t key_length, uint64_t *rank)
{
    struct btree_path path;

    if (!tree_has_keys(tree)) {
        return -1;
    }
    call_begin(tree);
    return descend_key(tree, key, key_length, &path, rank);
}

/* ------------------------------------------------------------------------
 * By position
 * ------------------------------------------------------------------------ */

int
btree_get_at(struct btree *tree, uint64_t position, struct btree_item *item)
{
    struct btree_path path;

    if (position >= btree_count(tree)) {
        return 0;
    }
    call_begin(tree);
    if (descend_position(tree, position, &path, 0) != 0) {
        return -1;
    }
    item_fill(item, path_entry(&path));
    return 1;
}

int
btree_remove_at(struct btree *tree, uint64_t position)
{
    struct btree_path path;

    if (position >= btree_count(tree)) {
        return 0;
    }
    call_begin(tree);
    if (descend_position(tree, position, &path, 0) != 0) {
        return -1;
    }
    return path_delete(tree, &path) == 0 ? 1 : -1;
}

int
btree_insert_at(struct btree *tree, uint64_t position, const void *value,
                size_t value_length)
{
    struct btree_path path;

    if (tree_has_keys(tree) || position > btree_count(tree)) {
        return -1;
    }
    call_begin(tree);
    if (descend_position(tree, position, &path, 1) != 0) {
        return -1;
    }
    return path_insert(tree, &path, "", 0, value, value_length);
}

int
btree_replace_at(struct btree *tree, uint64_t position, const void *value,
                 size_t value_length)
{
    struct btree_path path;

    if (tree_has_keys(tree)) {
        return -1;
    }
    if (position >= btree_count(tree)) {
        return 0;
    }
    call_begin(tree);
    if (descend_position(tree, position, &path, 0) != 0) {
        return -1;
    }
    return path_replace(tree, &path, value, value_length) == 0 ? 1 : -1;
}

/* ------------------------------------------------------------------------
 * Cursors
 * ------------------------------------------------------------------------ */

/* Records a path in a cursor. */
static void
cursor_set_path(struct btree_cursor *cursor, const struct btree_path *path)
{
    int level;

    cursor->height = path->height;
    cursor->pages[0] = 0;
    for (level = 0; level < path->height; level++) {
        if (level > 0) {
            cursor->pages[level] = path->pages[level]->number;
        }
        cursor->slots[level] = path->slots[level];
    }
}

/*
 * Looks up the pages of a cursor's path (through the parents, so each is
 * checked against the tree as it is).  Returns 0 or -1.
 */
static int
cursor_load(struct btree_cursor *cursor, struct btree_page **pages)
{
    struct btree *tree = cursor->tree;
    int level;

    if (cursor->height != tree->root->level + 1) {
        return -1;
    }
    pages[0] = tree->root;
    for (level = 0; level < cursor->height; level++) {
        if (cursor->slots[level] < 0 ||
            (uint32_t)cursor->slots[level] >= pages[level]->count) {
            return -1;
        }
        if (level + 1 < cursor->height) {
            pages[level + 1] = page_child(tree, pages[level], cursor->slots[level]);
            if (pages[level + 1] == NULL) {
                return -1;
            }
        }
    }
    return 0;
}

/* Goes down from `level` to the leaf, to the first or last entries. */
static int
cursor_descend(struct btree_cursor *cursor, struct btree_page **pages, int level,
               int forward)
{
    for (level++; level < cursor->height; level++) {
        pages[level] = page_child(cursor->tree, pages[level - 1],
                                  cursor->slots[level - 1]);
        if (pages[level] == NULL) {
            return -1;
        }
        cursor->pages[level] = pages[level]->number;
        cursor->slots[level] = forward ? 0 : (int)pages[level]->count - 1;
    }
    return 0;
}

/* One step forward or backward.  An error leaves the cursor invalid. */
static int
cursor_step(struct btree_cursor *cursor, int forward)
{
    struct btree_page *pages[BTREE_MAX_HEIGHT];
    int level;

    if (!cursor->valid) {
        return 0;
    }
    if (cursor_load(cursor, pages) != 0) {
        cursor->valid = 0;
        return -1;
    }
    for (level = cursor->height - 1; level >= 0; level--) {
        if (forward ? (uint32_t)cursor->slots[level] + 1 < pages[level]->count
                    : cursor->slots[level] > 0) {
            break;
        }
    }
    if (level < 0) {
        cursor->valid = 0;
        return 0;
    }
    cursor->slots[level] += forward ? 1 : -1;
    if (cursor_descend(cursor, pages, level, forward) != 0) {
        cursor->valid = 0;
        return -1;
    }
    if (forward) {
        cursor->position++;
    } else {
        cursor->position--;
    }
    return 1;
}

int
btree_seek_position(struct btree *tree, uint64_t position, struct btree_cursor *cursor)
{
    struct btree_path path;

    cursor->tree = tree;
    cursor->valid = 0;
    cursor->height = 0;
    if (position >= btree_count(tree)) {
        return 0;
    }
    call_begin(tree);
    if (descend_position(tree, position, &path, 0) != 0) {
        return -1;
    }
    cursor_set_path(cursor, &path);
    cursor->position = position;
    cursor->valid = 1;
    return 1;
}

int
btree_seek_key(struct btree *tree, const void *key, size_t key_length,
               struct btree_cursor *cursor)
{
    struct btree_path path;
    struct btree_page *leaf;
    uint64_t rank;
    int leaf_level;

    cursor->tree = tree;
    cursor->valid = 0;
    cursor->height = 0;
    if (!tree_has_keys(tree)) {
        return -1;
    }
    call_begin(tree);
    if (descend_key(tree, key, key_length, &path, &rank) < 0) {
        return -1;
    }
    cursor_set_path(cursor, &path);
    leaf_level = path.height - 1;
    leaf = path.pages[leaf_level];
    if (leaf->count == 0) {
        return 0;
    }
    cursor->valid = 1;
    cursor->position = rank;
    if ((uint32_t)path.slots[leaf_level] < leaf->count) {
        return 1;
    }
    /* Past this leaf's last key: the element wanted starts the next leaf. */
    cursor->slots[leaf_level] = (int)leaf->count - 1;
    cursor->position = rank - 1;
    return cursor_step(cursor, 1);
}

int
btree_cursor_item(struct btree_cursor *cursor, struct btree_item *item)
{
    struct btree_page *pages[BTREE_MAX_HEIGHT];
    int leaf = cursor->height - 1;

    if (!cursor->valid) {
        return 0;
    }
    call_begin(cursor->tree);
    if (cursor_load(cursor, pages) != 0) {
        return -1;
    }
    item_fill(item, &pages[leaf]->entries[cursor->slots[leaf]]);
    return 1;
}

int
btree_cursor_next(struct btree_cursor *cursor)
{
    if (!cursor->valid) {
        return 0;
    }
    call_begin(cursor->tree);
    return cursor_step(cursor, 1);
}

int
btree_cursor_prev(struct btree_cursor *cursor)
{
    if (!cursor->valid) {
        return 0;
    }
    call_begin(cursor->tree);
    return cursor_step(cursor, 0);
}

/* ------------------------------------------------------------------------
 * Whole trees
 * ------------------------------------------------------------------------ */

/* Visits the stored pages below an internal page (each before its children). */
static int
foreach_below(struct btree *tree, struct btree_page *page,
              int (*visit)(uint64_t page, void *context), void *context)
{
    struct btree_page *child;
    uint32_t slot;

    for (slot = 0; slot < page->count; slot++) {
        if (visit(page->entries[slot].child, context) != 0) {
            return -1;
        }
        if (page->level > 1) {
            child = page_child(tree, page, (int)slot);
            if (child == NULL || foreach_below(tree, child, visit, context) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

int
btree_foreach_page(struct btree *tree, int (*visit)(uint64_t page, void *context),
                   void *context)
{
    call_begin(tree);
    if (tree->root->level == 0) {
        return 0;
    }
    return foreach_below(tree, tree->root, visit, context);
}

/* Deletes from the store every page below an internal page. */
static int
clear_below(struct btree *tree, struct btree_page *page)
{
    struct btree_page *child;
    uint64_t number;
    uint32_t slot;

    for (slot = 0; slot < page->count; slot++) {
        number = page->entries[slot].child;
        if (page->level > 1) {
            child = page_child(tree, page, (int)slot);
            if (child == NULL || clear_below(tree, child) != 0) {
                return -1;
            }
        }
        child = cache_lookup(tree->cache, number);
        if ((child == NULL || child->stored) &&
            tree->store->remove(tree->store->context, number) != 0) {
            return -1;
        }
    }
    return 0;
}

int
btree_clear(struct btree *tree)
{
    struct btree_page_cache *cache = tree->cache;

    call_begin(tree);
    if (tree->root->level > 0 && clear_below(tree, tree->root) != 0) {
        return -1;
    }
    if (flush_removed(tree) != 0) {
        return -1;
    }
    cache_each(cache, cache_drop_page);
    cache->dirty_count = 0;
    if (tree->root->level > 0 || tree->root->count > 0) {
        page_empty(tree, tree->root, 0);
        tree->root_dirty = 1;
    }
    return 0;
}

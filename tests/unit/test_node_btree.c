/*
 * test_node_btree.c — the counted B+tree (node/btree.h).
 *
 * Pages live in an in-memory store (a TCMAP keyed by page number) that
 * counts reads.  Randomized differential runs (fixed seeds) compare both
 * kinds of tree with a plain reference (a sorted array for BTREE_BY_KEY,
 * an array for BTREE_BY_POSITION); after every batch the tree is flushed,
 * its root encoded and reloaded into a fresh handle, compared whole, and
 * its stored pages are counted against the pages reachable from the root.
 * Other tests check page fill for appends, leaks after deletes and clear,
 * items staying valid through the next call, long cursor walks, and that
 * damaged roots and pages make calls fail instead of crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <tcutil.h>

#include "shared/log.h"
#include "node/btree.h"

#define KEY_BUFFER        512
#define VALUE_BUFFER      (24 * 1024)
#define BATCH_OPERATIONS  1000
#define BATCHES           110
#define WALK_STEPS        24

/* The speed test is informative only: small under the sanitizers. */
#if defined(__SANITIZE_ADDRESS__)
#define SPEED_ELEMENTS    10000
#else
#define SPEED_ELEMENTS    100000
#endif

/* ------------------------------------------------------------------------
 * Pseudo-random numbers (xorshift64*, fixed seeds)
 * ------------------------------------------------------------------------ */

struct rng {
    uint64_t state;
};

static uint64_t
rng_next(struct rng *rng)
{
    rng->state ^= rng->state >> 12;
    rng->state ^= rng->state << 25;
    rng->state ^= rng->state >> 27;
    return rng->state * UINT64_C(2685821657736338717);
}

static uint64_t
rng_below(struct rng *rng, uint64_t limit)
{
    return limit > 0 ? rng_next(rng) % limit : 0;
}

static void
rng_fill(struct rng *rng, char *out, size_t length)
{
    size_t index;
    uint64_t bits = 0;

    for (index = 0; index < length; index++) {
        if (index % 8 == 0) {
            bits = rng_next(rng);
        }
        out[index] = (char)(bits >> (8 * (index % 8)));
    }
}

/* ------------------------------------------------------------------------
 * The in-memory page store
 * ------------------------------------------------------------------------ */

/* Pages by number, the allocator and counters. */
struct memory_store {
    TCMAP   *pages;
    uint64_t next_page;
    long     reads;
    long     writes;
    long     removes;
    int      fail_reads;      /* nonzero: calls fail as on a storage error */
    int      fail_writes;
    int      fail_removes;
};

static int
memory_read(void *context, uint64_t page, char **data, size_t *size)
{
    struct memory_store *store = context;
    const void *value;
    int length;

    store->reads++;
    if (store->fail_reads) {
        return -1;
    }
    value = tcmapget(store->pages, &page, sizeof(page), &length);
    if (value == NULL) {
        return 0;
    }
    *data = malloc(length > 0 ? (size_t)length : 1);
    assert_non_null(*data);
    memcpy(*data, value, (size_t)length);
    *size = (size_t)length;
    return 1;
}

static int
memory_write(void *context, uint64_t page, const char *data, size_t size)
{
    struct memory_store *store = context;

    store->writes++;
    if (store->fail_writes) {
        return -1;
    }
    tcmapput(store->pages, &page, sizeof(page), data, (int)size);
    return 0;
}

static int
memory_remove(void *context, uint64_t page)
{
    struct memory_store *store = context;

    store->removes++;
    if (store->fail_removes) {
        return -1;
    }
    tcmapout(store->pages, &page, sizeof(page));
    return 0;
}

static uint64_t
memory_allocate(void *context)
{
    struct memory_store *store = context;

    return store->next_page++;
}

/* A store, its callbacks and a tree over it. */
struct harness {
    struct memory_store store;
    struct btree_store  api;
    struct btree        tree;
    int                 order;
};

static void
harness_open(struct harness *harness, int order)
{
    memset(harness, 0, sizeof(*harness));
    harness->store.pages = tcmapnew();
    harness->api.context = &harness->store;
    harness->api.read = memory_read;
    harness->api.write = memory_write;
    harness->api.remove = memory_remove;
    harness->api.allocate = memory_allocate;
    harness->order = order;
    btree_init(&harness->tree, &harness->api, order);
}

static void
harness_close(struct harness *harness)
{
    btree_release(&harness->tree);
    tcmapdel(harness->store.pages);
}

static long
stored_pages(const struct harness *harness)
{
    return (long)tcmaprnum(harness->store.pages);
}

/* The encoded root (malloc'd). */
static char *
root_bytes(const struct btree *tree, size_t *size)
{
    char *root;

    *size = btree_root_size(tree);
    root = malloc(*size);
    assert_non_null(root);
    btree_root_encode(tree, root);
    return root;
}

/* Flushes, encodes the root and reopens the tree from it in a fresh handle. */
static void
harness_reload(struct harness *harness)
{
    size_t size;
    char *root;

    assert_int_equal(btree_flush(&harness->tree), 0);
    root = root_bytes(&harness->tree, &size);
    btree_release(&harness->tree);
    assert_int_equal(btree_load(&harness->tree, &harness->api, harness->order,
                                root, size), 0);
    assert_int_equal(btree_root_changed(&harness->tree), 0);
    assert_int_equal(btree_root_size(&harness->tree), size);
    free(root);
}

/* Pages reachable from the root: counted, checked stored and distinct. */
struct page_census {
    struct harness *harness;
    TCMAP          *seen;
    long            count;
};

static int
census_visit(uint64_t page, void *context)
{
    struct page_census *census = context;
    int length;

    assert_non_null(tcmapget(census->harness->store.pages, &page, sizeof(page), &length));
    assert_true(tcmapputkeep(census->seen, &page, sizeof(page), "", 0));
    census->count++;
    return 0;
}

/* After a flush: the store holds exactly the pages the tree reaches. */
static void
check_no_leaks(struct harness *harness)
{
    struct page_census census = { harness, tcmapnew(), 0 };

    assert_int_equal(btree_foreach_page(&harness->tree, census_visit, &census), 0);
    assert_int_equal(census.count, stored_pages(harness));
    assert_int_equal(btree_is_inline(&harness->tree), census.count == 0);
    tcmapdel(census.seen);
}

/* ------------------------------------------------------------------------
 * The reference: an array of elements (sorted by key for BY_KEY)
 * ------------------------------------------------------------------------ */

struct element {
    char   *key;
    size_t  key_length;
    char   *value;
    size_t  value_length;
};

struct reference {
    struct element **items;     /* pointers: cheap to shift */
    size_t          count;
    size_t          capacity;
};

static char *
copy_of(const void *bytes, size_t length)
{
    char *copy = malloc(length > 0 ? length : 1);

    assert_non_null(copy);
    if (length > 0) {
        memcpy(copy, bytes, length);
    }
    return copy;
}

static int
compare_bytes(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t common = a_length < b_length ? a_length : b_length;
    int order = common > 0 ? memcmp(a, b, common) : 0;

    if (order != 0) {
        return order;
    }
    return a_length < b_length ? -1 : (a_length > b_length ? 1 : 0);
}

static int
same_bytes(const char *a, size_t a_length, const char *b, size_t b_length)
{
    return a_length == b_length && (a_length == 0 || memcmp(a, b, a_length) == 0);
}

/* First index whose key is >= key. */
static size_t
reference_search(const struct reference *reference, const char *key, size_t key_length,
                 int *found)
{
    size_t low = 0, high = reference->count, middle;
    int order;

    *found = 0;
    while (low < high) {
        middle = low + (high - low) / 2;
        order = compare_bytes(reference->items[middle]->key,
                              reference->items[middle]->key_length, key, key_length);
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

static void
reference_insert(struct reference *reference, size_t index, const char *key,
                 size_t key_length, const char *value, size_t value_length)
{
    struct element *element;

    if (reference->count == reference->capacity) {
        reference->capacity = reference->capacity ? reference->capacity * 2 : 64;
        reference->items = realloc(reference->items,
                                   reference->capacity * sizeof(*reference->items));
        assert_non_null(reference->items);
    }
    memmove(&reference->items[index + 1], &reference->items[index],
            (reference->count - index) * sizeof(*reference->items));
    element = malloc(sizeof(*element));
    assert_non_null(element);
    reference->items[index] = element;
    element->key = copy_of(key, key_length);
    element->key_length = key_length;
    element->value = copy_of(value, value_length);
    element->value_length = value_length;
    reference->count++;
}

static void
reference_set_value(struct reference *reference, size_t index, const char *value,
                    size_t value_length)
{
    char *copy = copy_of(value, value_length);

    free(reference->items[index]->value);
    reference->items[index]->value = copy;
    reference->items[index]->value_length = value_length;
}

static void
reference_remove(struct reference *reference, size_t index)
{
    free(reference->items[index]->key);
    free(reference->items[index]->value);
    free(reference->items[index]);
    memmove(&reference->items[index], &reference->items[index + 1],
            (reference->count - index - 1) * sizeof(*reference->items));
    reference->count--;
}

static void
reference_free(struct reference *reference)
{
    while (reference->count > 0) {
        reference_remove(reference, reference->count - 1);
    }
    free(reference->items);
    memset(reference, 0, sizeof(*reference));
}

static void
assert_item_is(const struct btree_item *item, const struct element *element, int keys)
{
    assert_non_null(item->key);
    assert_non_null(item->value);
    if (keys) {
        assert_true(same_bytes(item->key, item->key_length, element->key,
                               element->key_length));
    } else {
        assert_int_equal(item->key_length, 0);
    }
    assert_true(same_bytes(item->value, item->value_length, element->value,
                           element->value_length));
}

/* The tree holds exactly the reference: counts, a forward walk and
 * (when asked) a backward walk. */
static void
check_content_walks(struct btree *tree, const struct reference *reference, int keys,
                    int backward)
{
    struct btree_cursor cursor;
    struct btree_item item;
    size_t index;
    int step;

    assert_int_equal(btree_count(tree), reference->count);
    step = btree_seek_position(tree, 0, &cursor);
    for (index = 0; index < reference->count; index++) {
        assert_int_equal(step, 1);
        assert_int_equal(cursor.position, index);
        assert_int_equal(btree_cursor_item(&cursor, &item), 1);
        assert_item_is(&item, reference->items[index], keys);
        step = btree_cursor_next(&cursor);
    }
    assert_int_equal(step, 0);
    assert_int_equal(btree_cursor_item(&cursor, &item), 0);
    if (reference->count == 0 || !backward) {
        return;
    }
    step = btree_seek_position(tree, reference->count - 1, &cursor);
    for (index = reference->count; index-- > 0;) {
        assert_int_equal(step, 1);
        assert_int_equal(cursor.position, index);
        assert_int_equal(btree_cursor_item(&cursor, &item), 1);
        assert_item_is(&item, reference->items[index], keys);
        step = btree_cursor_prev(&cursor);
    }
    assert_int_equal(step, 0);
}

static void
check_content(struct btree *tree, const struct reference *reference, int keys)
{
    check_content_walks(tree, reference, keys, 1);
}

/* Walks `steps` elements from a cursor at reference index `index`. */
static void
check_walk(struct btree_cursor *cursor, const struct reference *reference, size_t index,
           int forward, int steps, int keys)
{
    struct btree_item item;
    int step;

    for (step = 0; step < steps; step++) {
        assert_int_equal(cursor->valid, 1);
        assert_int_equal(cursor->position, index);
        assert_int_equal(btree_cursor_item(cursor, &item), 1);
        assert_item_is(&item, reference->items[index], keys);
        if (forward) {
            if (index + 1 == reference->count) {
                assert_int_equal(btree_cursor_next(cursor), 0);
                return;
            }
            assert_int_equal(btree_cursor_next(cursor), 1);
            index++;
        } else {
            if (index == 0) {
                assert_int_equal(btree_cursor_prev(cursor), 0);
                return;
            }
            assert_int_equal(btree_cursor_prev(cursor), 1);
            index--;
        }
    }
}

/* ------------------------------------------------------------------------
 * Random keys and values
 * ------------------------------------------------------------------------ */

/* Keys of several shapes: tiny (with \0 and \xff, often colliding, empty
 * included), long with a shared prefix, binary, and member-like. */
static size_t
make_key(struct rng *rng, char *out)
{
    static const char tiny[] = { 'a', '\0', '\xff' };
    size_t length, index;

    switch (rng_below(rng, 10)) {
    case 0:
        length = (size_t)rng_below(rng, 4);
        for (index = 0; index < length; index++) {
            out[index] = tiny[rng_below(rng, sizeof(tiny))];
        }
        return length;
    case 1:
        memset(out, 'p', 300);
        length = 300 + (size_t)rng_below(rng, 3);
        for (index = 300; index < length; index++) {
            out[index] = tiny[rng_below(rng, sizeof(tiny))];
        }
        return length;
    case 2:
        length = 1 + (size_t)rng_below(rng, 16);
        rng_fill(rng, out, length);
        return length;
    default:
        return (size_t)snprintf(out, KEY_BUFFER, "member:%d", (int)rng_below(rng, 6000));
    }
}

/* Values: mostly small, some empty, a few beyond a page. */
static size_t
make_value(struct rng *rng, char *out)
{
    uint64_t shape = rng_below(rng, 200);
    size_t length;

    if (shape < 10) {
        length = 0;
    } else if (shape < 140) {
        length = (size_t)rng_below(rng, 24);
    } else if (shape < 190) {
        length = 24 + (size_t)rng_below(rng, 300);
    } else if (shape < 198) {
        length = 300 + (size_t)rng_below(rng, 3000);
    } else {
        length = BTREE_PAGE_BYTES + 1 + (size_t)rng_below(rng, 16000);
    }
    rng_fill(rng, out, length);
    return length;
}

/* ------------------------------------------------------------------------
 * Randomized differential runs
 * ------------------------------------------------------------------------ */

/* The state of one differential run. */
struct run {
    struct harness   harness;
    struct reference reference;
    struct rng       rng;
    char             key[KEY_BUFFER];
    char             value[VALUE_BUFFER];
    int              shrinking;
    int              highest;
    size_t           largest;
};

/* A key: often one present in the reference, else a random one. */
static size_t
run_pick_key(struct run *run, const char **key)
{
    const struct element *element;

    if (run->reference.count > 0 && rng_below(&run->rng, 3) != 0) {
        element = run->reference.items[rng_below(&run->rng, run->reference.count)];
        *key = element->key;
        return element->key_length;
    }
    *key = run->key;
    return make_key(&run->rng, run->key);
}

static void
keyed_put(struct run *run)
{
    size_t key_length = make_key(&run->rng, run->key);
    size_t value_length = make_value(&run->rng, run->value);
    size_t index;
    int found;

    index = reference_search(&run->reference, run->key, key_length, &found);
    assert_int_equal(btree_put(&run->harness.tree, run->key, key_length, run->value,
                               value_length), !found);
    if (found) {
        reference_set_value(&run->reference, index, run->value, value_length);
    } else {
        reference_insert(&run->reference, index, run->key, key_length, run->value,
                         value_length);
    }
}

/* Copies an element's value to another key, passing the item's pointers. */
static void
keyed_copy_value(struct run *run)
{
    struct btree_item item;
    size_t key_length, index;
    const char *key;
    char *value;
    int found;

    if (run->reference.count == 0) {
        return;
    }
    index = (size_t)rng_below(&run->rng, run->reference.count);
    assert_int_equal(btree_find(&run->harness.tree, run->reference.items[index]->key,
                                run->reference.items[index]->key_length, &item), 1);
    value = copy_of(item.value, item.value_length);
    key_length = run_pick_key(run, &key);
    key = copy_of(key, key_length);
    index = reference_search(&run->reference, key, key_length, &found);
    assert_int_equal(btree_put(&run->harness.tree, key, key_length, item.value,
                               item.value_length), !found);
    if (found) {
        reference_set_value(&run->reference, index, value, item.value_length);
    } else {
        reference_insert(&run->reference, index, key, key_length, value,
                         item.value_length);
    }
    free((char *)key);
    free(value);
}

static void
keyed_remove(struct run *run)
{
    const char *key;
    size_t key_length = run_pick_key(run, &key), index;
    int found;

    key = copy_of(key, key_length);
    index = reference_search(&run->reference, key, key_length, &found);
    assert_int_equal(btree_remove(&run->harness.tree, key, key_length), found);
    if (found) {
        reference_remove(&run->reference, index);
    }
    free((char *)key);
}

/* Removes by the key an item hands out (the pointers are the tree's). */
static void
keyed_remove_by_item(struct run *run)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t position;

    if (run->reference.count == 0) {
        return;
    }
    position = rng_below(&run->rng, run->reference.count);
    assert_int_equal(btree_seek_position(&run->harness.tree, position, &cursor), 1);
    assert_int_equal(btree_cursor_item(&cursor, &item), 1);
    assert_int_equal(btree_remove(&run->harness.tree, item.key, item.key_length), 1);
    reference_remove(&run->reference, (size_t)position);
}

static void
keyed_find(struct run *run)
{
    struct btree_item item;
    const char *key;
    size_t key_length = run_pick_key(run, &key), index;
    uint64_t rank = UINT64_MAX;
    int found;

    index = reference_search(&run->reference, key, key_length, &found);
    assert_int_equal(btree_find(&run->harness.tree, key, key_length, &item), found);
    if (found) {
        assert_item_is(&item, run->reference.items[index], 1);
    }
    assert_int_equal(btree_rank(&run->harness.tree, key, key_length, &rank), found);
    assert_int_equal(rank, index);
}

static void
any_get_at(struct run *run, int keys)
{
    struct btree_item item;
    uint64_t position = rng_below(&run->rng, run->reference.count + 2);

    if (position < run->reference.count) {
        assert_int_equal(btree_get_at(&run->harness.tree, position, &item), 1);
        assert_item_is(&item, run->reference.items[position], keys);
    } else {
        assert_int_equal(btree_get_at(&run->harness.tree, position, &item), 0);
    }
}

static void
any_remove_at(struct run *run)
{
    uint64_t position = rng_below(&run->rng, run->reference.count + 1);

    if (rng_below(&run->rng, 4) == 0 && run->reference.count > 0) {
        position = rng_below(&run->rng, 2) ? 0 : run->reference.count - 1;
    }
    if (position < run->reference.count) {
        assert_int_equal(btree_remove_at(&run->harness.tree, position), 1);
        reference_remove(&run->reference, (size_t)position);
    } else {
        assert_int_equal(btree_remove_at(&run->harness.tree, position), 0);
    }
}

static void
keyed_seek_walk(struct run *run)
{
    struct btree_cursor cursor;
    const char *key;
    size_t key_length = run_pick_key(run, &key), index;
    int found;

    index = reference_search(&run->reference, key, key_length, &found);
    if (index == run->reference.count) {
        assert_int_equal(btree_seek_key(&run->harness.tree, key, key_length, &cursor), 0);
        assert_int_equal(cursor.valid, 0);
        return;
    }
    assert_int_equal(btree_seek_key(&run->harness.tree, key, key_length, &cursor), 1);
    check_walk(&cursor, &run->reference, index, (int)rng_below(&run->rng, 2),
               (int)rng_below(&run->rng, WALK_STEPS), 1);
}

static void
any_seek_position_walk(struct run *run, int keys)
{
    struct btree_cursor cursor;
    uint64_t position = rng_below(&run->rng, run->reference.count + 1);

    if (position == run->reference.count) {
        assert_int_equal(btree_seek_position(&run->harness.tree, position, &cursor), 0);
        return;
    }
    assert_int_equal(btree_seek_position(&run->harness.tree, position, &cursor), 1);
    check_walk(&cursor, &run->reference, (size_t)position, (int)rng_below(&run->rng, 2),
               (int)rng_below(&run->rng, WALK_STEPS), keys);
}

static void
keyed_operation(struct run *run)
{
    uint64_t choice = rng_below(&run->rng, 100);

    if (run->shrinking && choice < 40 && rng_below(&run->rng, 4) != 0) {
        choice = 40 + rng_below(&run->rng, 20);
    }
    if (choice < 36) {
        keyed_put(run);
    } else if (choice < 40) {
        keyed_copy_value(run);
    } else if (choice < 50) {
        keyed_remove(run);
    } else if (choice < 55) {
        keyed_remove_by_item(run);
    } else if (choice < 60) {
        any_remove_at(run);
    } else if (choice < 70) {
        keyed_find(run);
    } else if (choice < 76) {
        any_get_at(run, 1);
    } else if (choice < 90) {
        keyed_seek_walk(run);
    } else {
        any_seek_position_walk(run, 1);
    }
}

static void
list_insert(struct run *run)
{
    size_t value_length = make_value(&run->rng, run->value);
    uint64_t shape = rng_below(&run->rng, 3);
    uint64_t position = shape == 0 ? 0 : shape == 1 ? run->reference.count
                                       : rng_below(&run->rng, run->reference.count + 1);

    assert_int_equal(btree_insert_at(&run->harness.tree, position, run->value,
                                     value_length), 0);
    reference_insert(&run->reference, (size_t)position, "", 0, run->value, value_length);
}

/* Inserts a copy of an element, passing the item's pointers. */
static void
list_copy_value(struct run *run)
{
    struct btree_item item;
    uint64_t from, to;
    char *value;

    if (run->reference.count == 0) {
        return;
    }
    from = rng_below(&run->rng, run->reference.count);
    to = rng_below(&run->rng, run->reference.count + 1);
    assert_int_equal(btree_get_at(&run->harness.tree, from, &item), 1);
    value = copy_of(item.value, item.value_length);
    assert_int_equal(btree_insert_at(&run->harness.tree, to, item.value,
                                     item.value_length), 0);
    reference_insert(&run->reference, (size_t)to, "", 0, value, item.value_length);
    free(value);
}

static void
list_replace(struct run *run)
{
    size_t value_length = make_value(&run->rng, run->value);
    uint64_t position = rng_below(&run->rng, run->reference.count + 1);

    if (position < run->reference.count) {
        assert_int_equal(btree_replace_at(&run->harness.tree, position, run->value,
                                          value_length), 1);
        reference_set_value(&run->reference, (size_t)position, run->value, value_length);
    } else {
        assert_int_equal(btree_replace_at(&run->harness.tree, position, run->value,
                                          value_length), 0);
    }
}

static void
list_operation(struct run *run)
{
    uint64_t choice = rng_below(&run->rng, 100);

    if (run->shrinking && choice < 45 && rng_below(&run->rng, 4) != 0) {
        choice = 45 + rng_below(&run->rng, 15);
    }
    if (choice < 40) {
        list_insert(run);
    } else if (choice < 45) {
        list_copy_value(run);
    } else if (choice < 60) {
        any_remove_at(run);
    } else if (choice < 70) {
        list_replace(run);
    } else if (choice < 80) {
        any_get_at(run, 0);
    } else {
        any_seek_position_walk(run, 0);
    }
}

/* End of a batch: reload from the store, compare whole, count pages. */
static void
run_check(struct run *run, int keys, int batch)
{
    int height;

    harness_reload(&run->harness);
    check_content_walks(&run->harness.tree, &run->reference, keys, batch % 4 == 0);
    check_no_leaks(&run->harness);
    height = btree_height(&run->harness.tree);
    if (height > run->highest) {
        run->highest = height;
    }
    if (run->reference.count > run->largest) {
        run->largest = run->reference.count;
    }
    /* 128 entries a page, at least a third full: 3 levels hold far more
     * than these runs do (values beyond a page make leaves of one entry). */
    assert_true(height <= 4);
    if (run->reference.count == 0) {
        assert_int_equal(btree_is_inline(&run->harness.tree), 1);
        assert_int_equal(stored_pages(&run->harness), 0);
    }
}

static void
differential_run(int order, uint64_t seed)
{
    struct run *run = calloc(1, sizeof(*run));
    int batch, operation, keys = order == BTREE_BY_KEY;
    long operations = 0;

    assert_non_null(run);
    harness_open(&run->harness, order);
    run->rng.state = seed;
    for (batch = 0; batch < BATCHES; batch++) {
        /* grow, shrink to nothing, grow again, shrink again */
        run->shrinking = (batch >= 30 && batch < 55) || batch >= 85;
        for (operation = 0; operation < BATCH_OPERATIONS; operation++) {
            if (keys) {
                keyed_operation(run);
            } else {
                list_operation(run);
            }
            operations++;
            if (rng_below(&run->rng, 300) == 0) {
                assert_int_equal(btree_flush(&run->harness.tree), 0);
            }
        }
        run_check(run, keys, batch);
    }
    print_message("  %s: %ld operations, up to %zu elements, height up to %d\n",
                  keys ? "by key" : "by position", operations, run->largest,
                  run->highest);
    assert_true(run->highest >= 3);
    reference_free(&run->reference);
    harness_close(&run->harness);
    free(run);
}

static void
test_differential_by_key(void **state)
{
    (void)state;
    differential_run(BTREE_BY_KEY, UINT64_C(0x5eed0001));
}

static void
test_differential_by_position(void **state)
{
    (void)state;
    differential_run(BTREE_BY_POSITION, UINT64_C(0x5eed0002));
}

/* ------------------------------------------------------------------------
 * Focused tests
 * ------------------------------------------------------------------------ */

static void
test_empty_tree(void **state)
{
    struct harness harness;
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t rank = 7;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    assert_int_equal(btree_count(&harness.tree), 0);
    assert_int_equal(btree_is_inline(&harness.tree), 1);
    assert_int_equal(btree_height(&harness.tree), 1);
    assert_int_equal(btree_root_changed(&harness.tree), 0);
    assert_int_equal(btree_find(&harness.tree, "a", 1, &item), 0);
    assert_int_equal(btree_rank(&harness.tree, "a", 1, &rank), 0);
    assert_int_equal(rank, 0);
    assert_int_equal(btree_get_at(&harness.tree, 0, &item), 0);
    assert_int_equal(btree_remove_at(&harness.tree, 0), 0);
    assert_int_equal(btree_remove(&harness.tree, "a", 1), 0);
    assert_int_equal(btree_seek_key(&harness.tree, "", 0, &cursor), 0);
    assert_int_equal(btree_cursor_next(&cursor), 0);
    assert_int_equal(btree_seek_position(&harness.tree, 0, &cursor), 0);
    assert_int_equal(btree_cursor_prev(&cursor), 0);
    assert_int_equal(btree_clear(&harness.tree), 0);
    assert_int_equal(btree_root_changed(&harness.tree), 0);
    harness_reload(&harness);
    assert_int_equal(btree_count(&harness.tree), 0);
    /* wrong kind of call for the tree */
    assert_int_equal(btree_insert_at(&harness.tree, 0, "x", 1), -1);
    assert_int_equal(btree_replace_at(&harness.tree, 0, "x", 1), -1);
    harness_close(&harness);

    harness_open(&harness, BTREE_BY_POSITION);
    assert_int_equal(btree_put(&harness.tree, "a", 1, "b", 1), -1);
    assert_int_equal(btree_find(&harness.tree, "a", 1, &item), -1);
    assert_int_equal(btree_seek_key(&harness.tree, "a", 1, &cursor), -1);
    assert_int_equal(btree_insert_at(&harness.tree, 1, "x", 1), -1);
    assert_int_equal(btree_insert_at(&harness.tree, 0, "x", 1), 0);
    assert_int_equal(btree_replace_at(&harness.tree, 1, "y", 1), 0);
    harness_close(&harness);
}

static void
test_empty_keys_and_values(void **state)
{
    struct harness harness;
    struct btree_item item;
    struct btree_cursor cursor;
    uint64_t rank;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    assert_int_equal(btree_put(&harness.tree, NULL, 0, NULL, 0), 1);
    assert_int_equal(btree_put(&harness.tree, "\0", 1, "\xff\0", 2), 1);
    assert_int_equal(btree_put(&harness.tree, "", 0, "v", 1), 0);
    assert_int_equal(btree_find(&harness.tree, "", 0, &item), 1);
    assert_non_null(item.key);
    assert_int_equal(item.key_length, 0);
    assert_int_equal(item.value_length, 1);
    assert_int_equal(btree_rank(&harness.tree, "\0", 1, &rank), 1);
    assert_int_equal(rank, 1);
    assert_int_equal(btree_rank(&harness.tree, "\0\0", 2, &rank), 0);
    assert_int_equal(rank, 2);
    assert_int_equal(btree_seek_key(&harness.tree, NULL, 0, &cursor), 1);
    assert_int_equal(cursor.position, 0);
    harness_reload(&harness);
    assert_int_equal(btree_find(&harness.tree, "\0", 1, &item), 1);
    assert_true(same_bytes(item.value, item.value_length, "\xff\0", 2));
    assert_int_equal(btree_put(&harness.tree, "", 0, "", 0), 0);
    assert_int_equal(btree_find(&harness.tree, "", 0, &item), 1);
    assert_non_null(item.value);
    assert_int_equal(item.value_length, 0);
    harness_close(&harness);
}

/* Appends fill pages: n elements take about n / 128 leaves. */
static void
check_edge_fill(int order, int at_end)
{
    struct harness harness;
    struct reference reference = { 0 };
    char key[32], value[16];
    int index, count = 20000, key_length;
    long minimal = (count + BTREE_PAGE_ENTRIES - 1) / BTREE_PAGE_ENTRIES;

    harness_open(&harness, order);
    for (index = 0; index < count; index++) {
        int number = at_end ? index : count - index;
        int value_length = snprintf(value, sizeof(value), "%d", number);

        if (order == BTREE_BY_KEY) {
            key_length = snprintf(key, sizeof(key), "k%08d", number);
            assert_int_equal(btree_put(&harness.tree, key, (size_t)key_length, value,
                                       (size_t)value_length), 1);
        } else {
            assert_int_equal(btree_insert_at(&harness.tree, at_end ? (uint64_t)index : 0,
                                             value, (size_t)value_length), 0);
        }
    }
    /* the final order either way: ascending numbers */
    for (index = 0; index < count; index++) {
        int number = at_end ? index : index + 1;
        int value_length = snprintf(value, sizeof(value), "%d", number);

        key_length = order == BTREE_BY_KEY ? snprintf(key, sizeof(key), "k%08d", number)
                                           : 0;
        reference_insert(&reference, reference.count, key, (size_t)key_length, value,
                         (size_t)value_length);
    }
    harness_reload(&harness);
    check_content(&harness.tree, &reference, order == BTREE_BY_KEY);
    check_no_leaks(&harness);
    /* leaves, plus a few internal pages */
    assert_true(stored_pages(&harness) <= minimal + minimal / 100 + 3);
    assert_int_equal(btree_height(&harness.tree), 3);
    reference_free(&reference);
    harness_close(&harness);
}

static void
test_appends_fill_pages(void **state)
{
    (void)state;
    check_edge_fill(BTREE_BY_POSITION, 1);
    check_edge_fill(BTREE_BY_POSITION, 0);
    check_edge_fill(BTREE_BY_KEY, 1);
    check_edge_fill(BTREE_BY_KEY, 0);
}

/* Random inserts then deletes: pages stay reasonably full, none leak. */
static void
test_deletes_merge_and_free(void **state)
{
    struct harness harness;
    struct rng rng = { UINT64_C(0xde1e7e) };
    char key[32];
    int index, key_length, count = 20000, left;
    long pages;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    for (index = 0; index < count; index++) {
        key_length = snprintf(key, sizeof(key), "%016llx",
                              (unsigned long long)rng_next(&rng));
        assert_true(btree_put(&harness.tree, key, (size_t)key_length, "value", 5) >= 0);
    }
    harness_reload(&harness);
    check_no_leaks(&harness);
    /* random order: pages between half and full */
    pages = stored_pages(&harness);
    assert_true(pages <= 2 * count / BTREE_PAGE_ENTRIES + 4);
    /* remove 95% from random positions */
    left = (int)btree_count(&harness.tree);
    while (left > count / 20) {
        assert_int_equal(btree_remove_at(&harness.tree,
                                         rng_below(&rng, (uint64_t)left)), 1);
        left--;
        if (left % 1000 == 0) {
            harness_reload(&harness);
            check_no_leaks(&harness);
        }
    }
    harness_reload(&harness);
    check_no_leaks(&harness);
    /* merges keep pages at least about a third full */
    assert_true(stored_pages(&harness) <= 3 * left / BTREE_PAGE_ENTRIES + 4);
    /* and removing the rest leaves an inline empty tree and no pages */
    while (left > 0) {
        assert_int_equal(btree_remove_at(&harness.tree,
                                         rng_below(&rng, (uint64_t)left)), 1);
        left--;
    }
    assert_int_equal(btree_is_inline(&harness.tree), 1);
    assert_int_equal(btree_root_size(&harness.tree), 2);
    assert_int_equal(btree_flush(&harness.tree), 0);
    assert_int_equal(stored_pages(&harness), 0);
    harness_close(&harness);
}

static void
test_clear(void **state)
{
    struct harness harness;
    char value[64];
    int index;

    (void)state;
    harness_open(&harness, BTREE_BY_POSITION);
    memset(value, 'v', sizeof(value));
    for (index = 0; index < 30000; index++) {
        assert_int_equal(btree_insert_at(&harness.tree, (uint64_t)index / 2, value,
                                         sizeof(value)), 0);
    }
    harness_reload(&harness);
    assert_true(stored_pages(&harness) > 100);
    /* unflushed changes: new pages, removed pages */
    for (index = 0; index < 3000; index++) {
        assert_int_equal(btree_remove_at(&harness.tree, 100), 1);
        assert_int_equal(btree_insert_at(&harness.tree, 5000, value, index % 64), 0);
    }
    assert_int_equal(btree_clear(&harness.tree), 0);
    /* pages are removed at once, without a flush */
    assert_int_equal(stored_pages(&harness), 0);
    assert_int_equal(btree_count(&harness.tree), 0);
    assert_int_equal(btree_is_inline(&harness.tree), 1);
    assert_int_equal(btree_root_changed(&harness.tree), 1);
    assert_int_equal(btree_flush(&harness.tree), 0);
    assert_int_equal(stored_pages(&harness), 0);
    /* the tree is usable again */
    for (index = 0; index < 1000; index++) {
        assert_int_equal(btree_insert_at(&harness.tree, (uint64_t)index, value, 20), 0);
    }
    harness_reload(&harness);
    check_no_leaks(&harness);
    assert_int_equal(btree_count(&harness.tree), 1000);
    assert_int_equal(btree_clear(&harness.tree), 0);
    assert_int_equal(stored_pages(&harness), 0);
    harness_close(&harness);
}

/* Elements bigger than a page: one per page, the root too. */
static void
test_huge_elements(void **state)
{
    struct harness harness;
    struct btree_item item;
    char *big = malloc(100000);
    char key[16];
    int index;

    (void)state;
    assert_non_null(big);
    memset(big, 'x', 100000);
    harness_open(&harness, BTREE_BY_KEY);
    assert_int_equal(btree_put(&harness.tree, "a", 1, big, 100000), 1);
    assert_int_equal(btree_is_inline(&harness.tree), 1);
    assert_true(btree_root_size(&harness.tree) > 100000);
    harness_reload(&harness);
    assert_int_equal(btree_put(&harness.tree, "b", 1, big, 50000), 1);
    assert_int_equal(btree_is_inline(&harness.tree), 0);
    assert_true(btree_root_size(&harness.tree) < 64);
    for (index = 0; index < 50; index++) {
        snprintf(key, sizeof(key), "c%02d", index);
        assert_int_equal(btree_put(&harness.tree, key, strlen(key), big,
                                   (size_t)(5000 + index)), 1);
    }
    harness_reload(&harness);
    check_no_leaks(&harness);
    assert_true(stored_pages(&harness) >= 52);
    assert_int_equal(btree_find(&harness.tree, "c17", 3, &item), 1);
    assert_int_equal(item.value_length, 5017);
    /* shrinking values lets pages merge */
    for (index = 0; index < 50; index++) {
        snprintf(key, sizeof(key), "c%02d", index);
        assert_int_equal(btree_put(&harness.tree, key, strlen(key), "s", 1), 0);
    }
    assert_int_equal(btree_put(&harness.tree, "a", 1, "s", 1), 0);
    assert_int_equal(btree_put(&harness.tree, "b", 1, "s", 1), 0);
    assert_int_equal(btree_is_inline(&harness.tree), 1);
    harness_reload(&harness);
    assert_int_equal(stored_pages(&harness), 0);
    assert_int_equal(btree_count(&harness.tree), 52);
    harness_close(&harness);
    free(big);
}

/* Items stay valid through the next call, even when it frees their page. */
static void
test_items_valid_through_next_call(void **state)
{
    struct harness harness;
    struct btree_cursor cursor;
    struct btree_item item;
    char key[32], value[200];
    int index, key_length;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    memset(value, 'v', sizeof(value));
    for (index = 0; index < 5000; index++) {
        key_length = snprintf(key, sizeof(key), "key:%06d", index);
        assert_int_equal(btree_put(&harness.tree, key, (size_t)key_length, value,
                                   sizeof(value)), 1);
    }
    harness_reload(&harness);
    /* removing by the first item's key, again and again (merges, frees) */
    while (btree_count(&harness.tree) > 0) {
        assert_int_equal(btree_seek_key(&harness.tree, "", 0, &cursor), 1);
        assert_int_equal(btree_cursor_item(&cursor, &item), 1);
        assert_int_equal(btree_remove(&harness.tree, item.key, item.key_length), 1);
    }
    assert_int_equal(btree_flush(&harness.tree), 0);
    assert_int_equal(stored_pages(&harness), 0);
    /* putting an item's own key and value back (replace) */
    for (index = 0; index < 3000; index++) {
        key_length = snprintf(key, sizeof(key), "key:%06d", index);
        assert_int_equal(btree_put(&harness.tree, key, (size_t)key_length, value,
                                   (size_t)(index % 200)), 1);
    }
    for (index = 0; index < 3000; index += 7) {
        assert_int_equal(btree_get_at(&harness.tree, (uint64_t)index, &item), 1);
        assert_int_equal(btree_put(&harness.tree, item.key, item.key_length, item.value,
                                   item.value_length), 0);
    }
    harness_close(&harness);
}

/* A long walk reads each page once, and the cache does not keep them all. */
static void
test_long_walk(void **state)
{
    struct harness harness;
    struct btree_cursor cursor;
    struct btree_item item;
    char value[16];
    uint64_t count = 200000, index;
    long pages, reads;
    int step;

    (void)state;
    harness_open(&harness, BTREE_BY_POSITION);
    for (index = 0; index < count; index++) {
        memcpy(value, &index, sizeof(index));
        assert_int_equal(btree_insert_at(&harness.tree, index, value, sizeof(index)), 0);
    }
    harness_reload(&harness);
    pages = stored_pages(&harness);
    reads = harness.store.reads;
    step = btree_seek_position(&harness.tree, 0, &cursor);
    for (index = 0; index < count; index++) {
        assert_int_equal(step, 1);
        assert_int_equal(btree_cursor_item(&cursor, &item), 1);
        assert_int_equal(item.value_length, sizeof(index));
        assert_memory_equal(item.value, &index, sizeof(index));
        step = btree_cursor_next(&cursor);
    }
    assert_int_equal(step, 0);
    assert_int_equal(harness.store.reads - reads, pages);
    /* the first leaf was evicted on the way */
    reads = harness.store.reads;
    assert_int_equal(btree_get_at(&harness.tree, 0, &item), 1);
    assert_true(harness.store.reads > reads);
    /* backwards */
    step = btree_seek_position(&harness.tree, count - 1, &cursor);
    for (index = count; index-- > 0;) {
        assert_int_equal(step, 1);
        assert_int_equal(cursor.position, index);
        step = btree_cursor_prev(&cursor);
    }
    assert_int_equal(step, 0);
    harness_close(&harness);
}

static void
test_root_changed(void **state)
{
    struct harness harness;
    char key[16];
    int index;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    assert_int_equal(btree_put(&harness.tree, "a", 1, "1", 1), 1);
    assert_int_equal(btree_root_changed(&harness.tree), 1);
    harness_reload(&harness);
    assert_int_equal(btree_put(&harness.tree, "a", 1, "1", 1), 0);
    assert_int_equal(btree_root_changed(&harness.tree), 0);
    assert_int_equal(btree_put(&harness.tree, "b", 1, "2", 1), 1);
    assert_int_equal(btree_remove(&harness.tree, "b", 1), 1);
    assert_int_equal(btree_root_changed(&harness.tree), 0);
    assert_int_equal(btree_put(&harness.tree, "a", 1, "2", 1), 0);
    assert_int_equal(btree_root_changed(&harness.tree), 1);
    for (index = 0; index < 1000; index++) {
        snprintf(key, sizeof(key), "k%04d", index);
        assert_int_equal(btree_put(&harness.tree, key, 5, "v", 1), 1);
    }
    harness_reload(&harness);
    /* a value replaced in a stored leaf leaves the root alone */
    assert_int_equal(btree_put(&harness.tree, "k0500", 5, "w", 1), 0);
    assert_int_equal(btree_root_changed(&harness.tree), 0);
    assert_int_equal(btree_put(&harness.tree, "k0500x", 6, "w", 1), 1);
    assert_int_equal(btree_root_changed(&harness.tree), 1);
    harness_close(&harness);
}

/* ------------------------------------------------------------------------
 * Damaged roots and pages
 * ------------------------------------------------------------------------ */

static int
count_visit(uint64_t page, void *context)
{
    (void)page;
    (*(long *)context)++;
    return 0;
}

/* Any call on a damaged tree returns -1, 0 or 1 (and never crashes). */
static void
exercise_tree(struct btree *tree, int order, struct rng *rng)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t count = btree_count(tree), rank;
    char key[KEY_BUFFER];
    size_t key_length;
    long pages = 0;
    int step, guard, result;

    step = btree_seek_position(tree, 0, &cursor);
    for (guard = 0; step == 1 && guard < 6000; guard++) {
        assert_true(btree_cursor_item(&cursor, &item) >= 0);
        step = btree_cursor_next(&cursor);
    }
    assert_true(step >= -1 && step <= 1);
    if (count > 0) {
        step = btree_seek_position(tree, count - 1, &cursor);
        for (guard = 0; step == 1 && guard < 200; guard++) {
            step = btree_cursor_prev(&cursor);
        }
        assert_true(step >= -1 && step <= 1);
    }
    for (guard = 0; guard < 8; guard++) {
        result = btree_get_at(tree, rng_below(rng, count + 1), &item);
        assert_true(result >= -1 && result <= 1);
        key_length = make_key(rng, key);
        if (order == BTREE_BY_KEY) {
            assert_true(btree_find(tree, key, key_length, &item) >= -1);
            assert_true(btree_rank(tree, key, key_length, &rank) >= -1);
            assert_true(btree_seek_key(tree, key, key_length, &cursor) >= -1);
            assert_true(btree_put(tree, key, key_length, key, key_length) >= -1);
            assert_true(btree_remove(tree, key, key_length) >= -1);
        } else {
            assert_true(btree_insert_at(tree, rng_below(rng, count + 1), key,
                                        key_length) >= -1);
            assert_true(btree_replace_at(tree, rng_below(rng, count + 1), key,
                                         key_length) >= -1);
        }
        assert_true(btree_remove_at(tree, rng_below(rng, count + 1)) >= -1);
        count = btree_count(tree);
    }
    assert_true(btree_foreach_page(tree, count_visit, &pages) >= -1);
}

/* Loads a root (maybe damaged) and exercises it without flushing. */
static void
exercise_root(struct harness *harness, const char *root, size_t size, struct rng *rng)
{
    struct btree tree;

    if (btree_load(&tree, &harness->api, harness->order, root, size) == 0) {
        exercise_tree(&tree, harness->order, rng);
    } else {
        assert_int_equal(btree_count(&tree), 0);
    }
    btree_release(&tree);
}

/* One random way of damaging bytes (the result is malloc'd). */
static char *
damage(struct rng *rng, const char *bytes, size_t size, size_t *damaged_size)
{
    char *copy = malloc(size + 64);
    size_t index, flips;

    assert_non_null(copy);
    memcpy(copy, bytes, size);
    *damaged_size = size;
    switch (rng_below(rng, 5)) {
    case 0:
        *damaged_size = (size_t)rng_below(rng, size);
        break;
    case 1:
    case 2:
        flips = 1 + (size_t)rng_below(rng, 3);
        for (index = 0; index < flips && size > 0; index++) {
            copy[rng_below(rng, size)] ^= (char)(1 + rng_below(rng, 255));
        }
        break;
    case 3:
        /* the header: level and count */
        copy[0] = (char)rng_below(rng, 256);
        if (size > 1) {
            copy[1] = (char)rng_below(rng, 256);
        }
        break;
    default:
        *damaged_size = (size_t)rng_below(rng, size + 64);
        rng_fill(rng, copy, *damaged_size);
        break;
    }
    return copy;
}

/* A tree of a few thousand elements in the store, flushed. */
static void
build_damage_subject(struct harness *harness, struct rng *rng)
{
    char key[KEY_BUFFER], value[400];
    size_t key_length;
    int index;

    for (index = 0; index < 4000; index++) {
        size_t value_length = (size_t)rng_below(rng, sizeof(value));

        rng_fill(rng, value, value_length);
        if (harness->order == BTREE_BY_KEY) {
            key_length = make_key(rng, key);
            assert_true(btree_put(&harness->tree, key, key_length, value,
                                  value_length) >= 0);
        } else {
            assert_int_equal(btree_insert_at(&harness->tree,
                                             rng_below(rng, (uint64_t)index + 1),
                                             value, value_length), 0);
        }
    }
    assert_int_equal(btree_flush(&harness->tree), 0);
    assert_true(btree_height(&harness->tree) >= 3);
}

/* A full walk of the tree in the store: 1 whole, -1 stopped by an error. */
static int
full_walk(struct harness *harness, const char *root, size_t root_size)
{
    struct btree tree;
    struct btree_cursor cursor;
    struct btree_item item;
    int step, result = 1;

    assert_int_equal(btree_load(&tree, &harness->api, harness->order, root,
                                root_size), 0);
    step = btree_seek_position(&tree, 0, &cursor);
    while (step == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            result = -1;
            break;
        }
        step = btree_cursor_next(&cursor);
    }
    if (step < 0) {
        result = -1;
    }
    btree_release(&tree);
    return result;
}

/* The stored page numbers (malloc'd array). */
static uint64_t *
all_pages(struct harness *harness, long *count)
{
    uint64_t *pages = malloc((size_t)stored_pages(harness) * sizeof(*pages));
    const void *key;
    int key_length;

    assert_non_null(pages);
    *count = 0;
    tcmapiterinit(harness->store.pages);
    while ((key = tcmapiternext(harness->store.pages, &key_length)) != NULL) {
        memcpy(&pages[(*count)++], key, sizeof(*pages));
    }
    return pages;
}

static void
check_damage(int order, uint64_t seed)
{
    struct harness harness;
    struct rng rng = { seed };
    uint64_t *pages, page;
    char *root, *damaged, *saved;
    const void *stored;
    size_t root_size, damaged_size, cut;
    long page_count;
    int round, saved_size, length;

    harness_open(&harness, order);
    build_damage_subject(&harness, &rng);
    root = root_bytes(&harness.tree, &root_size);
    /* the intact tree works */
    exercise_root(&harness, root, root_size, &rng);
    /* roots: every truncation, then random damage */
    for (cut = 0; cut < root_size; cut++) {
        exercise_root(&harness, root, cut, &rng);
    }
    for (round = 0; round < 300; round++) {
        damaged = damage(&rng, root, root_size, &damaged_size);
        exercise_root(&harness, damaged, damaged_size, &rng);
        free(damaged);
    }
    /* a root claiming a height beyond the limit */
    exercise_root(&harness, "\x10\x00", 2, &rng);
    exercise_root(&harness, "\x01\x00", 2, &rng);
    /* every page is reached by a full walk: missing, cut or foreign, it fails */
    pages = all_pages(&harness, &page_count);
    assert_int_equal(full_walk(&harness, root, root_size), 1);
    for (round = 0; round < page_count; round += 1 + page_count / 16) {
        page = pages[round];
        stored = tcmapget(harness.store.pages, &page, sizeof(page), &saved_size);
        saved = copy_of(stored, (size_t)saved_size);
        tcmapout(harness.store.pages, &page, sizeof(page));
        assert_int_equal(full_walk(&harness, root, root_size), -1);
        tcmapput(harness.store.pages, &page, sizeof(page), saved, saved_size / 2);
        assert_int_equal(full_walk(&harness, root, root_size), -1);
        /* a page of another level (the first byte is the level) */
        saved[0] = (char)(saved[0] == 0 ? 1 : 0);
        tcmapput(harness.store.pages, &page, sizeof(page), saved, saved_size);
        assert_int_equal(full_walk(&harness, root, root_size), -1);
        saved[0] = (char)(saved[0] == 0 ? 1 : 0);
        tcmapput(harness.store.pages, &page, sizeof(page), saved, saved_size);
        free(saved);
    }
    assert_int_equal(full_walk(&harness, root, root_size), 1);
    /* stored pages: randomly damaged, missing, swapped with another */
    for (round = 0; round < 300; round++) {
        page = pages[rng_below(&rng, (uint64_t)page_count)];
        stored = tcmapget(harness.store.pages, &page, sizeof(page), &saved_size);
        saved = copy_of(stored, (size_t)saved_size);
        if (round % 10 == 0) {
            tcmapout(harness.store.pages, &page, sizeof(page));
        } else if (round % 10 == 1) {
            uint64_t other = pages[rng_below(&rng, (uint64_t)page_count)];

            stored = tcmapget(harness.store.pages, &other, sizeof(other), &length);
            tcmapput(harness.store.pages, &page, sizeof(page), stored, length);
        } else {
            damaged = damage(&rng, saved, (size_t)saved_size, &damaged_size);
            tcmapput(harness.store.pages, &page, sizeof(page), damaged,
                     (int)damaged_size);
            free(damaged);
        }
        exercise_root(&harness, root, root_size, &rng);
        tcmapput(harness.store.pages, &page, sizeof(page), saved, saved_size);
        free(saved);
    }
    /* a page pointing back at itself at the wrong level */
    page = pages[0];
    stored = tcmapget(harness.store.pages, &page, sizeof(page), &saved_size);
    saved = copy_of(stored, (size_t)saved_size);
    {
        unsigned char loop[16], *at = loop;
        uint64_t number = page;

        *at++ = 1;          /* level 1 */
        *at++ = 1;          /* one entry */
        if (order == BTREE_BY_KEY) {
            *at++ = 0;      /* empty key */
        }
        do {
            *at++ = (unsigned char)((number & 0x7f) | (number >= 0x80 ? 0x80 : 0));
            number >>= 7;
        } while (number > 0);
        *at++ = 1;          /* one element below */
        tcmapput(harness.store.pages, &page, sizeof(page), loop, (int)(at - loop));
        exercise_root(&harness, root, root_size, &rng);
    }
    tcmapput(harness.store.pages, &page, sizeof(page), saved, saved_size);
    free(saved);
    free(pages);
    /* all restored: the tree reads whole again */
    exercise_root(&harness, root, root_size, &rng);
    free(root);
    harness_close(&harness);
}

static void
test_damaged_roots_and_pages(void **state)
{
    (void)state;
    /* damaged pages log warnings: keep them out of the test output */
    assert_int_equal(log_open("/dev/null", LOG_WARNING, "test"), 0);
    check_damage(BTREE_BY_KEY, UINT64_C(0xbad0001));
    check_damage(BTREE_BY_POSITION, UINT64_C(0xbad0002));
    log_close();
}

/* Store errors come back as -1; the handle stays releasable. */
static void
test_store_errors(void **state)
{
    struct harness harness;
    struct btree_cursor cursor;
    struct btree_item item;
    char key[16];
    int index;
    long pages;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    for (index = 0; index < 20000; index++) {
        snprintf(key, sizeof(key), "k%06d", index);
        assert_int_equal(btree_put(&harness.tree, key, 7, key, 7), 1);
    }
    harness_reload(&harness);
    assert_int_equal(btree_height(&harness.tree), 3);
    harness.store.fail_reads = 1;
    assert_int_equal(btree_find(&harness.tree, "k000100", 7, &item), -1);
    assert_int_equal(btree_put(&harness.tree, "k000100x", 8, "v", 1), -1);
    assert_int_equal(btree_remove(&harness.tree, "k000100", 7), -1);
    assert_int_equal(btree_get_at(&harness.tree, 5, &item), -1);
    assert_int_equal(btree_remove_at(&harness.tree, 5), -1);
    assert_int_equal(btree_seek_position(&harness.tree, 5, &cursor), -1);
    assert_int_equal(btree_seek_key(&harness.tree, "k", 1, &cursor), -1);
    assert_int_equal(btree_foreach_page(&harness.tree, count_visit, &pages), -1);
    assert_int_equal(btree_clear(&harness.tree), -1);
    harness.store.fail_reads = 0;
    assert_int_equal(btree_count(&harness.tree), 20000);
    /* a cursor whose next leaf cannot be read */
    assert_int_equal(btree_seek_position(&harness.tree, 0, &cursor), 1);
    harness.store.fail_reads = 1;
    for (index = 0; index < 200 && btree_cursor_next(&cursor) == 1; index++) {
    }
    assert_true(index < 200);
    harness.store.fail_reads = 0;
    /* writes fail: flush fails, and succeeds later */
    for (index = 0; index < 500; index++) {
        snprintf(key, sizeof(key), "k%06dx", index * 37);
        assert_int_equal(btree_put(&harness.tree, key, 8, "v", 1), 1);
    }
    for (index = 0; index < 300; index++) {
        assert_int_equal(btree_remove_at(&harness.tree, 1000), 1);
    }
    harness.store.fail_writes = 1;
    assert_int_equal(btree_flush(&harness.tree), -1);
    harness.store.fail_writes = 0;
    harness.store.fail_removes = 1;
    assert_int_equal(btree_flush(&harness.tree), -1);
    harness.store.fail_removes = 0;
    harness_reload(&harness);
    check_no_leaks(&harness);
    assert_int_equal(btree_count(&harness.tree), 20200);
    harness.store.fail_removes = 1;
    assert_int_equal(btree_clear(&harness.tree), -1);
    harness.store.fail_removes = 0;
    harness_close(&harness);
}

/* ------------------------------------------------------------------------
 * Speed (informative)
 * ------------------------------------------------------------------------ */

static double
seconds_now(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void
test_speed(void **state)
{
    struct harness harness;
    struct rng rng = { 42 };
    struct btree_item item;
    char key[24];
    int index, count = SPEED_ELEMENTS;
    double start, put_time, find_time, push_time;

    (void)state;
    harness_open(&harness, BTREE_BY_KEY);
    start = seconds_now();
    for (index = 0; index < count; index++) {
        uint64_t hash = rng_next(&rng);

        memcpy(key, &hash, sizeof(hash));
        memcpy(key + 8, "field:123", 9);
        assert_true(btree_put(&harness.tree, key, 17, "some value", 10) >= 0);
    }
    put_time = seconds_now() - start;
    harness_reload(&harness);
    rng.state = 42;
    start = seconds_now();
    for (index = 0; index < count; index++) {
        uint64_t hash = rng_next(&rng);

        memcpy(key, &hash, sizeof(hash));
        memcpy(key + 8, "field:123", 9);
        assert_int_equal(btree_find(&harness.tree, key, 17, &item), 1);
    }
    find_time = seconds_now() - start;
    harness_close(&harness);
    harness_open(&harness, BTREE_BY_POSITION);
    start = seconds_now();
    for (index = 0; index < count; index++) {
        assert_int_equal(btree_insert_at(&harness.tree, (uint64_t)index, "element", 7),
                         0);
    }
    push_time = seconds_now() - start;
    harness_close(&harness);
    print_message("  %d random puts %.2f us each, finds %.2f us, appends %.2f us\n",
                  count, put_time * 1e6 / count, find_time * 1e6 / count,
                  push_time * 1e6 / count);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_tree),
        cmocka_unit_test(test_empty_keys_and_values),
        cmocka_unit_test(test_root_changed),
        cmocka_unit_test(test_appends_fill_pages),
        cmocka_unit_test(test_deletes_merge_and_free),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_huge_elements),
        cmocka_unit_test(test_items_valid_through_next_call),
        cmocka_unit_test(test_long_walk),
        cmocka_unit_test(test_differential_by_key),
        cmocka_unit_test(test_differential_by_position),
        cmocka_unit_test(test_damaged_roots_and_pages),
        cmocka_unit_test(test_store_errors),
        cmocka_unit_test(test_speed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

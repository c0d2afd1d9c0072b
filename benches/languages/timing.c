/*
 * The C row of `cargo bench --bench languages`: the same lookups as the
 * Rust row, through the C ABI, timed in a plain loop as a caller writes it.
 *
 *   timing INDEX MATERIAL DATE NUMBERS.bin RECIPIENTS.txt [REGISTER.bin EVICT_MB]
 *
 * NUMBERS.bin holds the CPR numbers as little-endian uint64, RECIPIENTS.txt
 * the same numbers as text, one per line. Prints one JSON object per call
 * (`text`: tlm_index_lookup, `number`: tlm_index_lookup_number, `batch`:
 * tlm_index_lookup_batch) with the nanoseconds per answer of one timed pass
 * and a checksum of the answers of an untimed pass before it.
 *
 * With REGISTER.bin (pairs of little-endian uint64: every CPR number of the
 * register and its status), the same loop of single lookups also runs
 * against a plain open-addressing hash table of those numbers, as a C
 * programmer would write one (`hash`), and both loops run again with a cold
 * cache (`number_cold`, `hash_cold`): before each chunk of 2,000 lookups,
 * a buffer of EVICT_MB MiB is read, one word per cache line, so that
 * neither the index nor the table is left in any cache; only the chunks
 * are timed.
 */

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tilmelding.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void fail(const char *what, tlm_result result)
{
    char detail[256];
    tlm_last_error_message(detail, sizeof detail);
    fprintf(stderr, "timing: %s: %s: %s\n", what, tlm_strerror(result), detail);
    exit(1);
}

static uint64_t fold(uint64_t sum, const tlm_answer *a)
{
    return sum + ((uint64_t)a->result << 16 | (uint64_t)a->channel << 8 | a->reason);
}

static void *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        exit(1);
    }
    long size = ftell(f);
    rewind(f);
    char *data = malloc((size_t)size + 1);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        perror(path);
        exit(1);
    }
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

/* The hash table: keys and values in one slot, linear probing, a
 * multiplicative hash, at most 70% full. Key 0 marks an empty slot (0 is
 * not a CPR number). */
typedef struct {
    uint64_t key;
    uint64_t value;
} slot;

typedef struct {
    slot *slots;
    uint64_t mask;
} table;

static uint64_t slot_of(const table *t, uint64_t key)
{
    return (key * 0x9E3779B97F4A7C15ull) >> 20 & t->mask;
}

static table table_new(const uint64_t *pairs, size_t n)
{
    uint64_t capacity = 1024;
    while (capacity * 7 / 10 < n)
        capacity *= 2;
    table t = {calloc(capacity, sizeof(slot)), capacity - 1};
    if (t.slots == NULL) {
        perror("hash table");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t at = slot_of(&t, pairs[2 * i]);
        while (t.slots[at].key != 0)
            at = (at + 1) & t.mask;
        t.slots[at] = (slot){pairs[2 * i], pairs[2 * i + 1]};
    }
    return t;
}

/* The status of `key`, or 4 if the table does not hold it. */
static uint64_t table_get(const table *t, uint64_t key)
{
    for (uint64_t at = slot_of(t, key);; at = (at + 1) & t->mask) {
        if (t->slots[at].key == key)
            return t->slots[at].value;
        if (t->slots[at].key == 0)
            return 4;
    }
}

static uint64_t evict(const uint64_t *buffer, size_t words)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < words; i += 8)
        sum += buffer[i];
    return sum;
}

enum { COLD_CHUNK = 2000 };

/* Where the table reads' sum goes, so that the compiler keeps them. */
static volatile uint64_t kept;

static void report(const char *call, double ns, size_t count, uint64_t checksum)
{
    printf("{\"language\": \"C\", \"call\": \"%s\", \"ns\": %.3f, \"count\": %zu, \"checksum\": %llu}\n",
           call, ns / (double)count, count, (unsigned long long)checksum);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 8) {
        fprintf(stderr, "usage: timing INDEX MATERIAL DATE NUMBERS.bin RECIPIENTS.txt [REGISTER.bin EVICT_MB]\n");
        return 2;
    }
    const char *material = argv[2];
    int32_t date = atoi(argv[3]);
    size_t bytes, text_len;
    uint64_t *numbers = read_all(argv[4], &bytes);
    size_t count = bytes / sizeof *numbers;
    char *text = read_all(argv[5], &text_len);
    char **recipients = malloc(count * sizeof *recipients);
    tlm_answer *answers = malloc(count * sizeof *answers);
    if (recipients == NULL || answers == NULL)
        return 1;
    size_t lines = 0;
    for (char *line = strtok(text, "\n"); line != NULL && lines < count; line = strtok(NULL, "\n"))
        recipients[lines++] = line;
    if (lines != count) {
        fprintf(stderr, "timing: %zu numbers but %zu recipients\n", count, lines);
        return 1;
    }

    tlm_index *index;
    tlm_result r = tlm_index_open(argv[1], &index);
    if (r != TLM_OK)
        fail("open", r);
    uint32_t id;
    if ((r = tlm_index_material(index, material, &id)) != TLM_OK)
        fail("material", r);

    tlm_answer a;
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        if ((r = tlm_index_lookup(index, material, recipients[i], date, &a)) != TLM_OK)
            fail("lookup", r);
        sum = fold(sum, &a);
    }
    double start = now_ns();
    for (size_t i = 0; i < count; i++)
        tlm_index_lookup(index, material, recipients[i], date, &answers[i]);
    report("text", now_ns() - start, count, sum);

    sum = 0;
    for (size_t i = 0; i < count; i++) {
        if ((r = tlm_index_lookup_number(index, id, TLM_RECIPIENT_CPR, numbers[i], date, &a)) != TLM_OK)
            fail("lookup_number", r);
        sum = fold(sum, &a);
    }
    start = now_ns();
    for (size_t i = 0; i < count; i++)
        tlm_index_lookup_number(index, id, TLM_RECIPIENT_CPR, numbers[i], date, &answers[i]);
    report("number", now_ns() - start, count, sum);

    if ((r = tlm_index_lookup_batch(index, material, TLM_RECIPIENT_CPR, numbers, count, date, answers)) != TLM_OK)
        fail("lookup_batch", r);
    sum = 0;
    for (size_t i = 0; i < count; i++)
        sum = fold(sum, &answers[i]);
    start = now_ns();
    tlm_index_lookup_batch(index, material, TLM_RECIPIENT_CPR, numbers, count, date, answers);
    report("batch", now_ns() - start, count, sum);

    if (argc == 8) {
        size_t pairs_len;
        uint64_t *pairs = read_all(argv[6], &pairs_len);
        table t = table_new(pairs, pairs_len / (2 * sizeof *pairs));
        free(pairs);
        size_t words = (size_t)atoi(argv[7]) << 17;
        uint64_t *buffer = malloc(words * sizeof *buffer);
        if (buffer == NULL)
            return 1;
        for (size_t i = 0; i < words; i++)
            buffer[i] = i;

        /* The table holds exactly the recipients the index has. */
        size_t cold = count - count % COLD_CHUNK;
        uint64_t statuses = 0, cold_statuses = 0;
        for (size_t i = 0; i < count; i++) {
            uint64_t status = table_get(&t, numbers[i]);
            tlm_index_lookup_number(index, id, TLM_RECIPIENT_CPR, numbers[i], date, &a);
            int listed = status < 3; /* 3: unknown, 4: absent */
            if (listed != (a.reason != TLM_REASON_NOT_REGISTERED)) {
                fprintf(stderr, "timing: the hash table and the index disagree on recipient %zu\n", i);
                return 1;
            }
            statuses += status;
            if (i < cold)
                cold_statuses += status;
        }
        uint64_t sink = 0;
        start = now_ns();
        for (size_t i = 0; i < count; i++)
            sink += table_get(&t, numbers[i]);
        report("hash", now_ns() - start, count, statuses);

        double number_ns = 0, hash_ns = 0;
        for (size_t from = 0; from < cold; from += COLD_CHUNK) {
            sink += evict(buffer, words);
            start = now_ns();
            for (size_t i = from; i < from + COLD_CHUNK; i++)
                tlm_index_lookup_number(index, id, TLM_RECIPIENT_CPR, numbers[i], date, &answers[i]);
            number_ns += now_ns() - start;
            sink += evict(buffer, words);
            start = now_ns();
            for (size_t i = from; i < from + COLD_CHUNK; i++)
                sink += table_get(&t, numbers[i]);
            hash_ns += now_ns() - start;
        }
        sum = 0;
        for (size_t i = 0; i < cold; i++)
            sum = fold(sum, &answers[i]);
        report("number_cold", number_ns, cold, sum);
        report("hash_cold", hash_ns, cold, cold_statuses);
        kept = sink;
        free(buffer);
        free(t.slots);
    }

    tlm_index_close(index);
    free(answers);
    free(recipients);
    free(text);
    free(numbers);
    return 0;
}

/*
 * The C row of `cargo bench --bench languages`: the same lookups as the
 * Rust row, through the C ABI, timed in a plain loop as a caller writes it.
 *
 *   timing INDEX MATERIAL DATE NUMBERS.bin RECIPIENTS.txt
 *
 * NUMBERS.bin holds the CPR numbers as little-endian uint64, RECIPIENTS.txt
 * the same numbers as text, one per line. Prints one JSON object per call
 * (`text`: tlm_index_lookup, `number`: tlm_index_lookup_number, `batch`:
 * tlm_index_lookup_batch) with the nanoseconds per answer of one timed pass
 * and a checksum of the answers of an untimed pass before it.
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

static void report(const char *call, double ns, size_t count, uint64_t checksum)
{
    printf("{\"language\": \"C\", \"call\": \"%s\", \"ns\": %.3f, \"count\": %zu, \"checksum\": %llu}\n",
           call, ns / (double)count, count, (unsigned long long)checksum);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: timing INDEX MATERIAL DATE NUMBERS.bin RECIPIENTS.txt\n");
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

    tlm_index_close(index);
    free(answers);
    free(recipients);
    free(text);
    free(numbers);
    return 0;
}

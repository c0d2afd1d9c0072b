/*
 * The C ABI's error paths and contracts, checked from C. Driven by
 * tests/c_examples.rs, which also runs it under AddressSanitizer and valgrind:
 *
 *   errors INDEX NEXT VERSION
 *
 * INDEX is the fixture index (tests/data); NEXT another index in which
 * 0101901234 is closed and whose list is as of 2001 (stale under any maximum
 * age); VERSION the crate's version. Writes corrupt.tlm, live.tlm and
 * live.tlm.tmp next to INDEX; missing.tlm there must not exist. Prints one
 * line per failed check and exits 1 if any failed, else prints "ok".
 *
 *   gcc -std=c99 -Wall -Wextra -pedantic -pthread -Iinclude tests/c/errors.c \
 *       -Ltarget/debug -ltilmelding -Wl,-rpath,$PWD/target/debug -o errors
 */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tilmelding.h"

static int failures;

#define CHECK(condition)                                                              \
    do {                                                                              \
        if (!(condition)) {                                                           \
            failures++;                                                               \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #condition);               \
        }                                                                             \
    } while (0)

/* What an output holds when no call has written it. */
static const tlm_answer UNTOUCHED = {TLM_PANIC, 42, 42, 42};

static int untouched(const tlm_answer *answer)
{
    return memcmp(answer, &UNTOUCHED, sizeof *answer) == 0;
}

/* The detail of this thread's last failure, fetched whole (caller frees). */
static char *last_message(void)
{
    size_t needed = tlm_last_error_message(NULL, 0);
    char *text = malloc(needed + 1);
    if (text == NULL)
        abort();
    CHECK(tlm_last_error_message(text, needed + 1) == needed);
    CHECK(strlen(text) == needed);
    return text;
}

static int message_contains(const char *needle)
{
    char *text = last_message();
    int found = strstr(text, needle) != NULL;
    if (!found)
        printf("note: last error message \"%s\" lacks \"%s\"\n", text, needle);
    free(text);
    return found;
}

static int is_lower_hex(const char *text, size_t length)
{
    size_t i;
    for (i = 0; i < length; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return 0;
    return 1;
}

/* The whole file (caller frees); aborts if it cannot be read. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    uint8_t *bytes;
    long length;
    if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (length = ftell(file)) <= 0)
        abort();
    rewind(file);
    bytes = malloc((size_t)length);
    if (bytes == NULL || fread(bytes, 1, (size_t)length, file) != (size_t)length)
        abort();
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

/* Writes `bytes` to `temp`, then renames it over `path`: how an index is
 * replaced while readers have the old one mapped. */
static void publish(const char *temp, const char *path, const uint8_t *bytes, size_t size)
{
    FILE *file = fopen(temp, "wb");
    if (file == NULL || fwrite(bytes, 1, size, file) != size || fclose(file) != 0
        || rename(temp, path) != 0)
        abort();
}

static void check_open_errors(const char *corrupt, const char *missing)
{
    tlm_index *sentinel = (tlm_index *)&failures; /* never dereferenced */
    tlm_index *index = sentinel;
    char small[8];
    size_t full;

    CHECK(tlm_index_open(missing, &index) == TLM_IO);
    CHECK(index == sentinel); /* outputs are written only on success */
    full = tlm_last_error_message(NULL, 0);
    CHECK(full > 0);
    CHECK(message_contains(missing));

    /* A small buffer: truncated to len - 1 bytes and NUL-terminated; the
     * return value is still the full length. */
    memset(small, 'X', sizeof small);
    CHECK(tlm_last_error_message(small, sizeof small) == full);
    CHECK(small[sizeof small - 1] == '\0');
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(strncmp(small, missing, sizeof small - 1) == 0); /* the message starts with the path */
    memset(small, 'X', sizeof small);
    CHECK(tlm_last_error_message(small, 1) == full);
    CHECK(small[0] == '\0' && small[1] == 'X');
    CHECK(tlm_last_error_message(NULL, 0) == full); /* reading does not clear it */

    index = sentinel;
    CHECK(tlm_index_open(corrupt, &index) == TLM_CORRUPT_INDEX);
    CHECK(index == sentinel);
    CHECK(message_contains(corrupt));

    CHECK(tlm_index_open_bytes((const uint8_t *)"not an index", 12, &index) == TLM_CORRUPT_INDEX);
    CHECK(tlm_index_open_bytes(NULL, 0, &index) == TLM_CORRUPT_INDEX);
    CHECK(index == sentinel);
}

static void check_null_arguments(const tlm_index *index)
{
    tlm_index *opened = NULL;
    tlm_reader *reader = NULL;
    tlm_answer answer;
    tlm_info info;
    uint64_t number = 101901234;
    uint32_t material = 12345;
    char buf[TLM_SNAPSHOT_ID_LEN + 1];

    CHECK(tlm_index_open(NULL, &opened) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("path"));
    CHECK(tlm_index_open("fixture.tlm", NULL) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("out"));
    CHECK(tlm_index_open_bytes(NULL, 5, &opened) == TLM_NULL_ARGUMENT);
    CHECK(opened == NULL);

    CHECK(tlm_index_lookup(NULL, "100", "0101901234", 20261122, &answer) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("index"));
    CHECK(tlm_index_lookup(index, NULL, "0101901234", 20261122, &answer) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("material_id"));
    CHECK(tlm_index_lookup(index, "100", NULL, 20261122, &answer) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("recipient"));
    CHECK(tlm_index_lookup(index, "100", "0101901234", 20261122, NULL) == TLM_NULL_ARGUMENT);

    CHECK(tlm_index_lookup_batch(NULL, "100", TLM_RECIPIENT_CPR, &number, 1, 20261122, &answer)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_lookup_batch(index, NULL, TLM_RECIPIENT_CPR, &number, 1, 20261122, &answer)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_lookup_batch(index, "100", TLM_RECIPIENT_CPR, NULL, 1, 20261122, &answer)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_lookup_batch(index, "100", TLM_RECIPIENT_CPR, &number, 1, 20261122, NULL)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_material(NULL, "100", &material) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_material(index, NULL, &material) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_material(index, "100", NULL) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_material(index, "999", &material) == TLM_UNKNOWN_MATERIAL);
    CHECK(material == 12345);
    CHECK(tlm_index_material(index, "100", &material) == TLM_OK);
    answer = UNTOUCHED;
    CHECK(tlm_index_lookup_number(NULL, material, TLM_RECIPIENT_CPR, number, 20261122, &answer)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_lookup_number(index, material, TLM_RECIPIENT_CPR, number, 20261122, NULL)
          == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_lookup_number(index, 99999, TLM_RECIPIENT_CPR, number, 20261122, &answer)
          == TLM_UNKNOWN_MATERIAL);
    CHECK(tlm_index_lookup_number(index, material, 7, number, 20261122, &answer)
          == TLM_INVALID_ARGUMENT);
    CHECK(tlm_index_lookup_number(index, material, TLM_RECIPIENT_CPR, 3213901234u, 20261122, &answer)
          == TLM_INVALID_RECIPIENT);
    CHECK(untouched(&answer));
    CHECK(tlm_index_lookup_number(index, material, TLM_RECIPIENT_CPR, number, 20261122, &answer)
          == TLM_OK);
    CHECK(answer.result == TLM_OK && answer.channel != TLM_CHANNEL_NONE);
    answer = UNTOUCHED;

    /* An empty batch needs no buffers. */
    CHECK(tlm_index_lookup_batch(index, "100", TLM_RECIPIENT_CPR, NULL, 0, 20261122, NULL) == TLM_OK);

    CHECK(tlm_index_info(NULL, &info) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_info(index, NULL) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_snapshot_id(NULL, buf, sizeof buf) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_snapshot_id(index, NULL, sizeof buf) == TLM_NULL_ARGUMENT);
    CHECK(tlm_index_set_max_age(NULL, 60) == TLM_NULL_ARGUMENT);

    CHECK(tlm_reader_open(NULL, &reader) == TLM_NULL_ARGUMENT);
    CHECK(tlm_reader_open("fixture.tlm", NULL) == TLM_NULL_ARGUMENT);
    CHECK(reader == NULL);
    CHECK(tlm_reader_refresh(NULL, NULL) == TLM_NULL_ARGUMENT);
    CHECK(message_contains("reader"));
    CHECK(tlm_reader_refresh_every(NULL, 1000) == TLM_NULL_ARGUMENT);
    CHECK(tlm_reader_set_max_age(NULL, 60) == TLM_NULL_ARGUMENT);
    CHECK(tlm_reader_current(NULL, &opened) == TLM_NULL_ARGUMENT);
    CHECK(tlm_reader_lookup(NULL, "100", "0101901234", 20261122, &answer) == TLM_NULL_ARGUMENT);
    CHECK(tlm_reader_lookup_batch(NULL, "100", TLM_RECIPIENT_CPR, &number, 1, 20261122, &answer)
          == TLM_NULL_ARGUMENT);

    tlm_index_close(NULL); /* no-ops */
    tlm_reader_close(NULL);
}

static void check_invalid_arguments(const tlm_index *index)
{
    tlm_answer answer = UNTOUCHED;
    tlm_answer answers[2] = {UNTOUCHED, UNTOUCHED};
    uint64_t numbers[2] = {101901234, 202902345};

    CHECK(tlm_index_lookup(index, "100", "0101901234", 20260230, &answer) == TLM_INVALID_ARGUMENT);
    CHECK(message_contains("20260230"));
    CHECK(untouched(&answer));
    CHECK(tlm_index_lookup(index, "100", "0101901234", -1, &answer) == TLM_INVALID_ARGUMENT);
    CHECK(tlm_index_lookup(index, "100", "0101901234", 20261300, &answer) == TLM_INVALID_ARGUMENT);
    CHECK(tlm_index_lookup(index, "\xff", "0101901234", 20261122, &answer) == TLM_INVALID_ARGUMENT);
    CHECK(message_contains("UTF-8"));
    CHECK(untouched(&answer));

    CHECK(tlm_index_lookup_batch(index, "100", TLM_RECIPIENT_CPR, numbers, 2, 20260230, answers)
          == TLM_INVALID_ARGUMENT);
    CHECK(tlm_index_lookup_batch(index, "100", 7, numbers, 2, 20261122, answers)
          == TLM_INVALID_ARGUMENT);
    CHECK(message_contains("kind"));
    /* A whole-batch failure writes nothing. */
    CHECK(tlm_index_lookup_batch(index, "999", TLM_RECIPIENT_CPR, numbers, 2, 20261122, answers)
          == TLM_UNKNOWN_MATERIAL);
    CHECK(tlm_index_lookup_batch(index, "600", TLM_RECIPIENT_CPR, numbers, 2, 20261122, answers)
          == TLM_AUDIENCE_MISMATCH);
    CHECK(untouched(&answers[0]) && untouched(&answers[1]));

    /* Date 0 is today: an answer, whatever the day. */
    CHECK(tlm_index_lookup(index, "100", "0101901234", 0, &answer) == TLM_OK);
    CHECK(answer.result == TLM_OK && answer.channel != TLM_CHANNEL_NONE);
}

/* Messages name the masked recipient, never the full CPR number. */
static void check_personal_data(const tlm_index *index)
{
    tlm_answer answer;
    char *text;

    CHECK(tlm_index_lookup(index, "600", "0101901234", 20261122, &answer) == TLM_AUDIENCE_MISMATCH);
    text = last_message();
    CHECK(strstr(text, "1234") == NULL);
    CHECK(strstr(text, "010190-xxxx") != NULL);
    free(text);

    CHECK(tlm_index_lookup(index, "100", "3102901234", 20261122, &answer) == TLM_INVALID_RECIPIENT);
    text = last_message();
    CHECK(strstr(text, "1234") == NULL);
    CHECK(strstr(text, "310290") != NULL);
    free(text);

    CHECK(tlm_index_lookup(index, "999", "0101901234", 20261122, &answer) == TLM_UNKNOWN_MATERIAL);
    text = last_message();
    CHECK(strstr(text, "1234") == NULL);
    CHECK(strstr(text, "999") != NULL);
    free(text);
}

static void check_metadata(const tlm_index *index, const char *version)
{
    char buf[TLM_SNAPSHOT_ID_LEN + 2];
    tlm_info info;
    uint32_t code;

    memset(buf, 'X', sizeof buf);
    CHECK(tlm_index_snapshot_id(index, buf, TLM_SNAPSHOT_ID_LEN) == TLM_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'X'); /* nothing written */
    CHECK(message_contains("65"));
    CHECK(tlm_index_snapshot_id(index, buf, TLM_SNAPSHOT_ID_LEN + 1) == TLM_OK);
    CHECK(strlen(buf) == TLM_SNAPSHOT_ID_LEN && is_lower_hex(buf, TLM_SNAPSHOT_ID_LEN));
    CHECK(buf[TLM_SNAPSHOT_ID_LEN + 1] == 'X');

    /* The layout of tlm_info, field by field, against the fixture. */
    CHECK(tlm_index_info(index, &info) == TLM_OK);
    CHECK(info.format_major == 3);
    CHECK(info.materials == 6 && info.groups == 3 && info.sender_systems == 3);
    CHECK(info.cpr_contacts == 7 && info.cvr_contacts == 2);
    CHECK(info.file_size > 0 && info.build_time > 0);
    CHECK(info.as_of == 1795323600); /* 2026-11-22T06:00:00+01:00 */

    CHECK(strcmp(tlm_version(), version) == 0);
    for (code = TLM_OK; code <= TLM_STALE_INDEX; code++) {
        CHECK(tlm_strerror(code) != NULL);
        CHECK(strcmp(tlm_strerror(code), "unknown result code") != 0);
    }
    CHECK(strcmp(tlm_strerror(1000), "unknown result code") == 0);
    CHECK(strcmp(tlm_strerror(UINT32_MAX), "unknown result code") == 0);
}

/* The copy made by tlm_index_open_bytes outlives the caller's buffer. */
static void check_open_bytes(const char *path)
{
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    tlm_index *index = NULL;
    tlm_answer answer;

    CHECK(tlm_index_open_bytes(bytes, size, &index) == TLM_OK);
    memset(bytes, 0, size);
    free(bytes);
    CHECK(tlm_index_lookup(index, "100", "0202902345", 20261122, &answer) == TLM_OK);
    CHECK(answer.channel == TLM_CHANNEL_PHYSICAL && answer.reason == TLM_REASON_EXEMPT);
    tlm_index_close(index);
}

/* NEXT's list is from 2001: any maximum age makes it stale, whatever the clock. */
static void check_max_age(const char *next_path)
{
    tlm_index *next = NULL;
    tlm_answer answer = UNTOUCHED;
    tlm_answer answers[1] = {UNTOUCHED};
    uint64_t numbers[1] = {101901234};
    tlm_info info;

    uint32_t material;
    CHECK(tlm_index_open(next_path, &next) == TLM_OK);
    CHECK(tlm_index_lookup(next, "100", "0101901234", 20261122, &answer) == TLM_OK); /* off by default */
    CHECK(tlm_index_material(next, "100", &material) == TLM_OK);
    /* The date converted, a number call could answer on its quick path. */
    CHECK(tlm_index_lookup_number(next, material, TLM_RECIPIENT_CPR, 101901234, 20261122, &answer)
          == TLM_OK);
    answer = UNTOUCHED;
    CHECK(tlm_index_set_max_age(next, 36 * 3600) == TLM_OK);
    CHECK(tlm_index_lookup(next, "100", "0101901234", 20261122, &answer) == TLM_STALE_INDEX);
    CHECK(message_contains("stale index"));
    CHECK(untouched(&answer));
    CHECK(tlm_index_lookup_number(next, material, TLM_RECIPIENT_CPR, 101901234, 20261122, &answer)
          == TLM_STALE_INDEX);
    CHECK(message_contains("stale index"));
    CHECK(untouched(&answer));
    CHECK(tlm_index_lookup_batch(next, "100", TLM_RECIPIENT_CPR, numbers, 1, 20261122, answers)
          == TLM_STALE_INDEX);
    CHECK(untouched(&answers[0]));
    CHECK(tlm_index_info(next, &info) == TLM_OK); /* facts are still available */
    CHECK(tlm_index_set_max_age(next, 0) == TLM_OK);
    CHECK(tlm_index_lookup(next, "100", "0101901234", 20261122, &answer) == TLM_OK);
    CHECK(answer.reason == TLM_REASON_CLOSED);
    tlm_index_close(next);
}

/* A reader follows a path that is replaced by rename; handles pinned with
 * tlm_reader_current keep their snapshot until closed. */
static void check_reader(const char *index_path, const char *next_path, const char *live,
                         const char *temp)
{
    size_t first_size, next_size;
    uint8_t *first = read_file(index_path, &first_size);
    uint8_t *next = read_file(next_path, &next_size);
    tlm_reader *reader = NULL;
    tlm_index *pinned = NULL, *current = NULL;
    tlm_answer answer = UNTOUCHED;
    uint64_t numbers[1] = {101901234};
    tlm_answer answers[1] = {UNTOUCHED};
    uint32_t replaced = 7;
    char old_id[TLM_SNAPSHOT_ID_LEN + 1], new_id[TLM_SNAPSHOT_ID_LEN + 1];
    struct timespec pause = {0, 20 * 1000 * 1000};
    int i;

    publish(temp, live, first, first_size);
    CHECK(tlm_reader_open(live, &reader) == TLM_OK);
    if (reader == NULL)
        return;
    CHECK(tlm_reader_refresh(reader, &replaced) == TLM_OK && replaced == 0);
    CHECK(tlm_reader_current(reader, &pinned) == TLM_OK);
    CHECK(tlm_index_snapshot_id(pinned, old_id, sizeof old_id) == TLM_OK);

    publish(temp, live, next, next_size);
    CHECK(tlm_reader_refresh(reader, &replaced) == TLM_OK && replaced == 1);
    CHECK(tlm_reader_refresh(reader, NULL) == TLM_OK); /* unchanged since */
    CHECK(tlm_reader_lookup(reader, "100", "0101901234", 20261122, &answer) == TLM_OK);
    CHECK(answer.reason == TLM_REASON_CLOSED);
    CHECK(tlm_index_lookup(pinned, "100", "0101901234", 20261122, &answer) == TLM_OK);
    CHECK(answer.reason == TLM_REASON_REGISTERED); /* the pinned snapshot's data */
    CHECK(tlm_reader_current(reader, &current) == TLM_OK);
    CHECK(tlm_index_snapshot_id(current, new_id, sizeof new_id) == TLM_OK);
    CHECK(strcmp(old_id, new_id) != 0);

    /* The maximum age covers the index serving now and handles on it. */
    CHECK(tlm_reader_set_max_age(reader, 36 * 3600) == TLM_OK);
    answer = UNTOUCHED;
    CHECK(tlm_reader_lookup(reader, "100", "0101901234", 20261122, &answer) == TLM_STALE_INDEX);
    CHECK(untouched(&answer));
    CHECK(tlm_reader_lookup_batch(reader, "100", TLM_RECIPIENT_CPR, numbers, 1, 20261122,
                                  answers) == TLM_STALE_INDEX);
    CHECK(tlm_index_lookup(current, "100", "0101901234", 20261122, &answer) == TLM_STALE_INDEX);
    CHECK(tlm_reader_set_max_age(reader, 0) == TLM_OK);
    tlm_index_close(current);

    /* A bad replacement is refused and the current index keeps serving. */
    first[first_size - 1] ^= 0x01;
    publish(temp, live, first, first_size);
    replaced = 7;
    CHECK(tlm_reader_refresh(reader, &replaced) == TLM_CORRUPT_INDEX && replaced == 7);
    CHECK(message_contains(live));
    CHECK(remove(live) == 0);
    CHECK(tlm_reader_refresh(reader, &replaced) == TLM_IO && replaced == 7);
    CHECK(tlm_reader_lookup_batch(reader, "100", TLM_RECIPIENT_CPR, numbers, 1, 20261122,
                                  answers) == TLM_OK);
    CHECK(answers[0].result == TLM_OK && answers[0].reason == TLM_REASON_CLOSED);

    /* A background refresh swaps the file in by itself; closing stops it. */
    CHECK(tlm_reader_refresh_every(reader, 0) == TLM_INVALID_ARGUMENT);
    CHECK(tlm_reader_refresh_every(reader, 60 * 1000) == TLM_OK);
    CHECK(tlm_reader_refresh_every(reader, 5) == TLM_OK); /* replaces the first */
    first[first_size - 1] ^= 0x01;
    publish(temp, live, first, first_size);
    for (i = 0; i < 100; i++) { /* up to 2 s */
        CHECK(tlm_reader_current(reader, &current) == TLM_OK);
        CHECK(tlm_index_snapshot_id(current, new_id, sizeof new_id) == TLM_OK);
        tlm_index_close(current);
        if (strcmp(new_id, old_id) == 0)
            break;
        nanosleep(&pause, NULL);
    }
    CHECK(strcmp(new_id, old_id) == 0);
    tlm_reader_close(reader);

    /* The pinned handle outlives the reader. */
    CHECK(tlm_index_lookup(pinned, "100", "0202902345", 20261122, &answer) == TLM_OK);
    CHECK(answer.reason == TLM_REASON_EXEMPT);
    tlm_index_close(pinned);
    free(first);
    free(next);
}

struct worker {
    const tlm_index *index;
    size_t fresh_message_length; /* before this thread failed */
    int wrong_answers;
    int saw_own_error;
};

/* Many threads on one handle; each thread has its own last error. */
static void *work(void *argument)
{
    struct worker *w = argument;
    tlm_answer answer;
    int i;
    w->fresh_message_length = tlm_last_error_message(NULL, 0);
    for (i = 0; i < 2000; i++) {
        if (tlm_index_lookup(w->index, "400", "0101901234", 20261122, &answer) != TLM_OK
            || answer.channel != TLM_CHANNEL_NEMSMS || answer.reason != TLM_REASON_REGISTERED)
            w->wrong_answers++;
    }
    if (tlm_index_lookup(w->index, "424242", "0101901234", 20261122, &answer) == TLM_UNKNOWN_MATERIAL) {
        char text[128];
        tlm_last_error_message(text, sizeof text);
        w->saw_own_error = strstr(text, "424242") != NULL;
    }
    return NULL;
}

static void check_threads(const tlm_index *index)
{
    struct worker workers[4];
    pthread_t threads[4];
    size_t i;

    CHECK(tlm_index_open("/nonexistent/main-thread.tlm", NULL) == TLM_NULL_ARGUMENT);
    for (i = 0; i < 4; i++) {
        workers[i].index = index;
        workers[i].fresh_message_length = 1;
        workers[i].wrong_answers = 0;
        workers[i].saw_own_error = 0;
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].fresh_message_length == 0);
        CHECK(workers[i].wrong_answers == 0);
        CHECK(workers[i].saw_own_error);
    }
    /* The other threads' failures did not touch this thread's message. */
    CHECK(message_contains("`out` is NULL"));
}

/* `name` in the directory of `file`. */
static void sibling(char *out, size_t size, const char *file, const char *name)
{
    const char *slash = strrchr(file, '/');
    int dir_length = slash == NULL ? 1 : (int)(slash - file);
    if (snprintf(out, size, "%.*s/%s", dir_length, slash == NULL ? "." : file, name) >= (int)size)
        abort();
}

int main(int argc, char **argv)
{
    char corrupt[4096], missing[4096], live[4096], temp[4096];
    tlm_index *index = NULL;
    uint8_t *bytes;
    size_t size;

    if (argc != 4) {
        fprintf(stderr, "usage: errors INDEX NEXT VERSION\n");
        return 2;
    }
    sibling(corrupt, sizeof corrupt, argv[1], "corrupt.tlm");
    sibling(missing, sizeof missing, argv[1], "missing.tlm");
    sibling(live, sizeof live, argv[1], "live.tlm");
    sibling(temp, sizeof temp, argv[1], "live.tlm.tmp");
    bytes = read_file(argv[1], &size);
    bytes[size - 1] ^= 0x01; /* inside the last section, under its CRC */
    publish(temp, corrupt, bytes, size);
    free(bytes);

    CHECK(tlm_last_error_message(NULL, 0) == 0); /* nothing has failed yet */
    check_open_errors(corrupt, missing);
    if (tlm_index_open(argv[1], &index) != TLM_OK) {
        printf("FAIL: cannot open %s\n", argv[1]);
        return 1;
    }
    check_null_arguments(index);
    check_invalid_arguments(index);
    check_personal_data(index);
    check_metadata(index, argv[3]);
    check_open_bytes(argv[1]);
    check_max_age(argv[2]);
    check_reader(argv[1], argv[2], live, temp);
    check_threads(index);
    tlm_index_close(index);

    if (failures == 0)
        printf("ok\n");
    return failures == 0 ? 0 : 1;
}

/*
 * lookup: which channel a letter of one material takes to each recipient,
 * and why; the C twin of `tilmelding lookup`, written from the header alone.
 *
 *   lookup [--max-age SECONDS] INDEX MATERIAL DATE RECIPIENT...
 *   lookup --info INDEX
 *
 * DATE is YYYY-MM-DD or `today` (Danish time). One line per recipient: the
 * recipient as given, then `channel reason`, or `error code` when it has no
 * answer (unknown_material, invalid_recipient, audience_mismatch, or
 * stale_index: the list is older than --max-age); the exit status is 0 when
 * every recipient got a line. Anything else (the index cannot be opened, a
 * bad date) goes to stderr with exit status 1. --info shows what the index
 * holds.
 *
 * Build from the repository root after `cargo build --release`:
 *
 *   shared library (found at run time through the rpath):
 *     gcc -std=c99 -Wall -Wextra -pedantic -Iinclude examples/c/lookup.c \
 *         -Ltarget/release -ltilmelding -Wl,-rpath,$PWD/target/release -o lookup
 *
 *   static library (the system libraries are those printed by
 *   `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`,
 *   here for x86_64 Linux):
 *     gcc -std=c99 -Wall -Wextra -pedantic -Iinclude examples/c/lookup.c \
 *         -Ltarget/release -l:libtilmelding.a \
 *         -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o lookup
 *
 * Try it on the test data:
 *
 *   target/release/tilmelding build --catalog tests/data/catalog.toml \
 *       --contacts tests/data/contacts.csv -o /tmp/fixture.tlm
 *   ./lookup /tmp/fixture.tlm 100 today 0101901234 DK12345674 3102901234
 *   ./lookup --info /tmp/fixture.tlm
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tilmelding.h"

/* The codes that mean "this letter cannot be decided", not "the call went
 * wrong": printed as answers, as `tilmelding lookup` does. */
static const char *no_answer_name(tlm_result result)
{
    switch (result) {
    case TLM_UNKNOWN_MATERIAL: return "unknown_material";
    case TLM_INVALID_RECIPIENT: return "invalid_recipient";
    case TLM_AUDIENCE_MISMATCH: return "audience_mismatch";
    case TLM_STALE_INDEX: return "stale_index";
    default: return NULL;
    }
}

/* Prints the code's description and this thread's detail of the failure to
 * stderr, fetching the detail again when it does not fit the first buffer. */
static void report(tlm_result result)
{
    char small[256];
    char *detail = small;
    size_t needed = tlm_last_error_message(small, sizeof small);
    if (needed >= sizeof small) {
        char *big = malloc(needed + 1);
        if (big != NULL) {
            tlm_last_error_message(big, needed + 1);
            detail = big;
        }
    }
    fprintf(stderr, "lookup: %s: %s\n", tlm_strerror(result), detail);
    if (detail != small)
        free(detail);
}

/* YYYY-MM-DD as the integer YYYYMMDD, `today` as 0; -1 if malformed. The
 * library checks that the date exists. */
static int32_t parse_date(const char *text)
{
    int32_t value = 0;
    size_t i;
    if (strcmp(text, "today") == 0)
        return 0;
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/* Decimal digits only, at most 19 of them: no overflow. */
static int parse_seconds(const char *text, uint64_t *out)
{
    uint64_t value = 0;
    size_t length = strlen(text), i;
    if (length == 0 || length > 19)
        return 0;
    for (i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *out = value;
    return 1;
}

static void print_time(const char *label, int64_t unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    char text[32] = "?";
    struct tm *utc = gmtime(&t);
    if (utc != NULL)
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", utc);
    printf("%-12s %s\n", label, text);
}

static int show_info(const tlm_index *index)
{
    tlm_info info;
    char snapshot[TLM_SNAPSHOT_ID_LEN + 1];
    tlm_result result = tlm_index_info(index, &info);
    if (result == TLM_OK)
        result = tlm_index_snapshot_id(index, snapshot, sizeof snapshot);
    if (result != TLM_OK) {
        report(result);
        return 1;
    }
    printf("%-12s %u.%u\n", "format", (unsigned)info.format_major, (unsigned)info.format_minor);
    printf("%-12s %s\n", "snapshot", snapshot);
    print_time("as of", info.as_of);
    print_time("built", info.build_time);
    printf("%-12s %llu bytes\n", "size", (unsigned long long)info.file_size);
    printf("%-12s %lu materials, %lu groups, %lu sender systems\n", "catalog",
           (unsigned long)info.materials, (unsigned long)info.groups,
           (unsigned long)info.sender_systems);
    printf("%-12s %llu CPR, %llu CVR\n", "recipients",
           (unsigned long long)info.cpr_contacts, (unsigned long long)info.cvr_contacts);
    printf("%-12s %s\n", "library", tlm_version());
    return 0;
}

static int lookup_all(const tlm_index *index, const char *material, int32_t date,
                      char **recipients, int count)
{
    int i;
    for (i = 0; i < count; i++) {
        tlm_answer answer;
        tlm_result result = tlm_index_lookup(index, material, recipients[i], date, &answer);
        if (result == TLM_OK) {
            printf("%-12s %-9s %s\n", recipients[i], tlm_channel_name(answer.channel),
                   tlm_reason_name(answer.reason));
        } else if (no_answer_name(result) != NULL) {
            printf("%-12s %-9s %s\n", recipients[i], "error", no_answer_name(result));
        } else {
            report(result); /* a bad date: the same for every recipient */
            return 1;
        }
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: lookup [--max-age SECONDS] INDEX MATERIAL DATE RECIPIENT...\n"
                    "       lookup --info INDEX\n"
                    "DATE is YYYY-MM-DD or today\n");
    return 2;
}

int main(int argc, char **argv)
{
    int info_mode = argc == 3 && strcmp(argv[1], "--info") == 0;
    int first = 1; /* the first operand, INDEX */
    uint64_t max_age = 0;
    tlm_index *index = NULL;
    tlm_result result;
    int32_t date = 0;
    int status;

    if (!info_mode) {
        if (argc > 2 && strcmp(argv[1], "--max-age") == 0) {
            if (!parse_seconds(argv[2], &max_age))
                return usage();
            first = 3;
        }
        if (argc - first < 4 || strncmp(argv[first], "--", 2) == 0)
            return usage();
        if ((date = parse_date(argv[first + 2])) < 0) {
            fprintf(stderr, "lookup: DATE must be YYYY-MM-DD or today, not %s\n",
                    argv[first + 2]);
            return 2;
        }
    }
    result = tlm_index_open(argv[info_mode ? 2 : first], &index);
    if (result == TLM_OK && max_age > 0)
        result = tlm_index_set_max_age(index, max_age);
    if (result != TLM_OK) {
        report(result);
        tlm_index_close(index);
        return 1;
    }
    status = info_mode ? show_info(index)
                       : lookup_all(index, argv[first + 1], date, argv + first + 3,
                                    argc - first - 3);
    tlm_index_close(index);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}

/*
 * batch: one material, many recipients of one kind, one call; the way a
 * mass mailing asks (tlm_index_lookup_batch), written from the header alone.
 *
 *   batch INDEX MATERIAL DATE cpr|cvr NUMBER...
 *
 * DATE is YYYY-MM-DD or `today` (Danish time). A CPR number is its ten
 * digits read as one integer (0101901234), a CVR number its eight digits.
 * One line per number, as `lookup` prints them: the number as given, then
 * `channel reason` or `error code`. A number that is not a valid CPR/CVR
 * gets `error invalid_recipient` and the others are still answered.
 *
 * Build as examples/c/lookup.c says, with batch.c for lookup.c:
 *
 *   gcc -std=c99 -Wall -Wextra -pedantic -Iinclude examples/c/batch.c \
 *       -Ltarget/release -ltilmelding -Wl,-rpath,$PWD/target/release -o batch
 *
 *   ./batch /tmp/fixture.tlm 100 today cpr 0101901234 0202902345 3102901234
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tilmelding.h"

/* The codes that mean "no answer for this recipient", in an element or, for
 * the whole batch, returned by the call. */
static const char *no_answer_name(tlm_result result)
{
    switch (result) {
    case TLM_UNKNOWN_MATERIAL: return "unknown_material";
    case TLM_INVALID_RECIPIENT: return "invalid_recipient";
    case TLM_AUDIENCE_MISMATCH: return "audience_mismatch";
    default: return NULL;
    }
}

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
    fprintf(stderr, "batch: %s: %s\n", tlm_strerror(result), detail);
    if (detail != small)
        free(detail);
}

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

/* Decimal digits only (no sign, no space), at most 19 of them: no overflow. */
static int parse_number(const char *text, uint64_t *out)
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

int main(int argc, char **argv)
{
    tlm_index *index = NULL;
    tlm_recipient_kind kind;
    uint64_t *numbers = NULL;
    tlm_answer *answers = NULL;
    size_t count, i;
    int32_t date;
    tlm_result result;
    int status = 0;

    if (argc < 6 || (strcmp(argv[4], "cpr") != 0 && strcmp(argv[4], "cvr") != 0)) {
        fprintf(stderr, "usage: batch INDEX MATERIAL DATE cpr|cvr NUMBER...\n"
                        "DATE is YYYY-MM-DD or today\n");
        return 2;
    }
    if ((date = parse_date(argv[3])) < 0) {
        fprintf(stderr, "batch: DATE must be YYYY-MM-DD or today, not %s\n", argv[3]);
        return 2;
    }
    kind = strcmp(argv[4], "cpr") == 0 ? TLM_RECIPIENT_CPR : TLM_RECIPIENT_CVR;
    count = (size_t)(argc - 5);
    numbers = malloc(count * sizeof *numbers);
    answers = malloc(count * sizeof *answers);
    if (numbers == NULL || answers == NULL) {
        fprintf(stderr, "batch: out of memory\n");
        status = 1;
        goto done;
    }
    for (i = 0; i < count; i++) {
        if (!parse_number(argv[5 + i], &numbers[i])) {
            /* Not printed: it may be a CPR number with a typo. */
            fprintf(stderr, "batch: argument %lu is not a number of at most 19 digits\n",
                    (unsigned long)(5 + i));
            status = 2;
            goto done;
        }
    }

    result = tlm_index_open(argv[1], &index);
    if (result != TLM_OK) {
        report(result);
        status = 1;
        goto done;
    }
    result = tlm_index_lookup_batch(index, argv[2], kind, numbers, count, date, answers);
    if (result != TLM_OK && no_answer_name(result) == NULL) {
        report(result);
        status = 1;
        goto done;
    }
    for (i = 0; i < count; i++) {
        const char *given = argv[5 + i];
        if (result != TLM_OK) /* the material: the same for every number */
            printf("%-12s %-9s %s\n", given, "error", no_answer_name(result));
        else if (answers[i].result == TLM_OK)
            printf("%-12s %-9s %s\n", given, tlm_channel_name(answers[i].channel),
                   tlm_reason_name(answers[i].reason));
        else
            printf("%-12s %-9s %s\n", given, "error",
                   no_answer_name(answers[i].result) ? no_answer_name(answers[i].result)
                                                     : tlm_strerror(answers[i].result));
    }
    if (fflush(stdout) != 0)
        status = 1;

done:
    tlm_index_close(index); /* NULL if it was never opened: a no-op */
    free(numbers);
    free(answers);
    return status;
}

/*
 * A deliberate leak: the harness runs this under each leak checker (LeakSanitizer, valgrind)
 * and expects it to FAIL there, reporting the 4096-byte block lost here, which proves that the
 * checkers' settings catch a real leak. It also drops a string libapify allocated
 * (apify_last_error_message) without apify_string_free, so a leak of the library's memory is
 * reported too. Without a checker it passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apify.h"

/* Allocates a block and returns without keeping any pointer to it. */
static void lose_a_block(void) {
    char *volatile block = malloc(4096);
    if (block != NULL) memset(block, 'x', 4096);
    block = NULL;
}

/* Takes a string from the library and never frees it. */
static int lose_a_library_string(void) {
    apify_client *client = NULL;
    char *volatile error;
    if (apify_client_new("{\"unknownOption\": 1}", &client) != APIFY_STATUS_INVALID_ARGUMENT) return 0;
    error = apify_last_error_message();
    if (error == NULL) return 0;
    error = NULL;
    return 1;
}

/* Overwrites the stack below main's frame, so no stale copy of the pointers survives there. */
static void scrub_stack(void) {
    volatile char area[16384];
    memset((char *)area, 0, sizeof area);
}

int main(void) {
    lose_a_block();
    if (!lose_a_library_string()) return 2;
    scrub_stack();
    printf("leaked on purpose\n");
    return 0;
}

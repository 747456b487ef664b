/*
 * Request queues through the C ABI: two crawler threads (one client handle each, so each has
 * its own clientKey) share one named queue. 1,000 unique URLs are added in batches of 100, then
 * 1,000 duplicates (other spellings of the same URLs, whose derived uniqueKey is the same) while
 * the threads crawl. Each thread loops: lock up to 10 requests from the head, mark them handled;
 * the first time a thread sees every 50th request it leaves it locked (the lock expires and the
 * request comes back, for either thread), and the first time it sees every 70th it gives the
 * lock back at once (apify_rq_delete_lock). At the end every URL was handled exactly once, the
 * queue reports 1,000 handled and 0 pending, and no lock is left. Then single adds, the errors
 * (NULL arguments, bad JSON, out-of-range limit and lock_secs, unknown queue, another handle's
 * lock) and apify_rq_delete.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */

#include <math.h>
#include <pthread.h>
#include <time.h>

#include "check.h"

#define URLS 1000
#define BATCH 100
#define HEAD_LIMIT 10
#define SKIP_EVERY 50
#define RELEASE_EVERY 70

/* What a crawler thread fails with; CHECK's counter is not shared between threads. */
#define TCHECK(cond)                                                                        \
    do {                                                                                    \
        if (!(cond)) check_fail(__FILE__, __LINE__, #cond);                                 \
    } while (0)

struct shared {
    const char *queue_id;
    double lock_secs;
    double deadline;            /* seconds on the monotonic clock */
    pthread_mutex_t mutex;
    int handled_total;          /* successful apify_rq_mark_handled calls, by both threads */
    unsigned char seen[URLS];   /* 1 once a thread skipped or released the URL's request */
    int skipped, released;
};

struct crawler {
    struct shared *shared;
    int handled[URLS];          /* how often this thread marked each URL handled */
    int received;               /* requests this thread locked */
    int empty_heads;            /* lock calls that answered [] */
};

static double now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The index N of a URL ".../p/N" (or -1). */
static int url_index(const char *url) {
    const char *p = strstr(url, "/p/");
    int n = -1;
    if (p == NULL || sscanf(p + 3, "%d", &n) != 1 || n < 0 || n >= URLS) return -1;
    return n;
}

/* The text at a JSON pointer (freed by the caller), or NULL when it matches nothing. */
static char *json_text(const char *json, const char *pointer) {
    char *text = NULL;
    apify_status st = apify_json_get(json, pointer, &text);
    if (st == APIFY_STATUS_NOT_FOUND) return NULL;
    TCHECK(st == APIFY_STATUS_OK && text != NULL);
    return text;
}

/* Decides once per URL whether this thread keeps back the request: 1 skip, 2 release, 0 no. */
static int keep_back(struct crawler *cr, int index) {
    struct shared *sh = cr->shared;
    int what = 0;
    pthread_mutex_lock(&sh->mutex);
    if (!sh->seen[index]) {
        if (index % SKIP_EVERY == 0) {
            what = 1;
            sh->skipped++;
        } else if (index % RELEASE_EVERY == 0) {
            what = 2;
            sh->released++;
        }
        if (what) sh->seen[index] = 1;
    }
    pthread_mutex_unlock(&sh->mutex);
    return what;
}

static void *crawl(void *arg) {
    struct crawler *cr = (struct crawler *)arg;
    struct shared *sh = cr->shared;
    apify_client *client = NULL;
    TCHECK(apify_client_new(NULL, &client) == APIFY_STATUS_OK);
    for (;;) {
        char *head = NULL;
        int k, done;
        pthread_mutex_lock(&sh->mutex);
        done = sh->handled_total == URLS;
        pthread_mutex_unlock(&sh->mutex);
        if (done) break;
        if (now_secs() > sh->deadline) check_fail(__FILE__, __LINE__, "the crawl did not finish");
        TCHECK(apify_rq_lock_head(client, sh->queue_id, sh->lock_secs, HEAD_LIMIT, &head) ==
               APIFY_STATUS_OK);
        TCHECK(head != NULL && head[0] == '[');
        for (k = 0; k < HEAD_LIMIT; k++) {
            char pointer[32];
            char *id, *url, *expires;
            int index;
            snprintf(pointer, sizeof pointer, "/%d/id", k);
            id = json_text(head, pointer);
            if (id == NULL) break;
            snprintf(pointer, sizeof pointer, "/%d/url", k);
            url = json_text(head, pointer);
            snprintf(pointer, sizeof pointer, "/%d/lockExpiresAt", k);
            expires = json_text(head, pointer);
            TCHECK(url != NULL && expires != NULL);
            index = url_index(url);
            TCHECK(index >= 0);
            cr->received++;
            switch (keep_back(cr, index)) {
            case 1: /* left locked: it comes back when the lock expires */
                break;
            case 2:
                TCHECK(apify_rq_delete_lock(client, sh->queue_id, id, 1) == APIFY_STATUS_OK);
                break;
            default:
                TCHECK(apify_rq_mark_handled(client, sh->queue_id, id) == APIFY_STATUS_OK);
                cr->handled[index]++;
                pthread_mutex_lock(&sh->mutex);
                sh->handled_total++;
                pthread_mutex_unlock(&sh->mutex);
            }
            apify_string_free(id);
            apify_string_free(url);
            apify_string_free(expires);
        }
        if (k == 0) {
            /* Nothing available: the rest is locked (by the other thread or expiring). */
            cr->empty_heads++;
            sleep_ms(20);
        }
        apify_string_free(head);
    }
    apify_client_free(client);
    return NULL;
}

/* A JSON array of requests for URLs first..first+n-1, as uniques or as other spellings. */
static char *requests_json(int first, int n, int duplicate) {
    struct check_buf b = {NULL, 0, 0};
    char one[160];
    int i;
    CHECK(check_buf_add(&b, "[", 1));
    for (i = first; i < first + n; i++) {
        int len = duplicate
                      ? snprintf(one, sizeof one, "%s{\"url\": \"https://EXAMPLE.com/p/%d/#dup\"}",
                                 i > first ? "," : "", i)
                      : snprintf(one, sizeof one,
                                 "%s{\"url\": \"https://example.com/p/%d\", \"userData\": {\"i\": %d}}",
                                 i > first ? "," : "", i, i);
        CHECK(check_buf_add(&b, one, (size_t)len));
    }
    CHECK(check_buf_add(&b, "]", 1));
    return b.data;
}

/* Adds a batch and checks that all of it was processed (the duplicates as already present). */
static void add_batch(apify_client *c, const char *queue, int first, int duplicate) {
    char *requests = requests_json(first, BATCH, duplicate);
    char *out = NULL;
    char pointer[64], id[64];
    const char *p;
    int present = 0;
    CHECK_OK(apify_rq_add_batch(c, queue, requests, 0, &out));
    CHECK_JSON_IS(out, "/unprocessedRequests", "[]");
    snprintf(pointer, sizeof pointer, "/processedRequests/%d/requestId", BATCH - 1);
    CHECK_JSON_GET(out, pointer, id);
    snprintf(pointer, sizeof pointer, "/processedRequests/%d", BATCH);
    CHECK_JSON_ABSENT(out, pointer);
    for (p = out; (p = strstr(p, "\"wasAlreadyPresent\":true")) != NULL; p++) present++;
    CHECK(present == (duplicate ? BATCH : 0));
    apify_string_free(out);
    free(requests);
}

static double slowdown(void) {
    const char *s = getenv("APIFY_TEST_SLOWDOWN");
    double v = s ? atof(s) : 1.0;
    return v >= 1.0 ? v : 1.0;
}

static void crawl_two_threads(apify_client *client) {
    static struct crawler crawlers[2];
    struct shared sh;
    pthread_t threads[2];
    char *queue = NULL, *out = NULL;
    char queue_id[64], pointer[128];
    int i, t;

    CHECK_OK(apify_rq_get_or_create(client, "c-crawl", &queue));
    CHECK_JSON_IS(queue, "/name", "c-crawl");
    CHECK_JSON_GET(queue, "/id", queue_id);
    CHECK(CHECK_JSON_LONG(queue, "/totalRequestCount") == 0);
    apify_string_free(queue);

    for (i = 0; i < URLS; i += BATCH) add_batch(client, queue_id, i, 0);

    memset(&sh, 0, sizeof sh);
    sh.queue_id = queue_id;
    /* Long enough that a lock never runs out while its request is handled, also under valgrind. */
    sh.lock_secs = 1.5 * slowdown();
    sh.deadline = now_secs() + 60.0 * slowdown();
    CHECK(pthread_mutex_init(&sh.mutex, NULL) == 0);
    memset(crawlers, 0, sizeof crawlers);
    for (t = 0; t < 2; t++) {
        crawlers[t].shared = &sh;
        CHECK(pthread_create(&threads[t], NULL, crawl, &crawlers[t]) == 0);
    }
    /* The duplicates arrive while the crawl runs: none is added again. */
    for (i = 0; i < URLS; i += BATCH) add_batch(client, queue_id, i, 1);
    for (t = 0; t < 2; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    CHECK(pthread_mutex_destroy(&sh.mutex) == 0);

    /* Every URL handled exactly once, by one thread or the other. */
    for (i = 0; i < URLS; i++) {
        int n = crawlers[0].handled[i] + crawlers[1].handled[i];
        if (n != 1) fprintf(stderr, "URL %d was handled %d times\n", i, n);
        CHECK(n == 1);
    }
    CHECK(sh.handled_total == URLS);
    CHECK(sh.skipped == URLS / SKIP_EVERY);
    {
        int released = 0;
        for (i = 0; i < URLS; i++) released += i % RELEASE_EVERY == 0 && i % SKIP_EVERY != 0;
        CHECK(sh.released == released);
    }
    /* Each skipped or released request came back and was locked once more. */
    CHECK(crawlers[0].received + crawlers[1].received == URLS + sh.skipped + sh.released);
    printf("locked: thread 0 %d, thread 1 %d; %d skipped, %d released; empty heads %d + %d\n",
           crawlers[0].received, crawlers[1].received, sh.skipped, sh.released,
           crawlers[0].empty_heads, crawlers[1].empty_heads);

    /* The queue by name: 1,000 handled, none pending, and no lock left. */
    CHECK_OK(apify_rq_get_or_create(client, "c-crawl", &queue));
    CHECK_JSON_IS(queue, "/id", queue_id);
    CHECK(CHECK_JSON_LONG(queue, "/handledRequestCount") == URLS);
    CHECK(CHECK_JSON_LONG(queue, "/pendingRequestCount") == 0);
    CHECK(CHECK_JSON_LONG(queue, "/totalRequestCount") == URLS);
    apify_string_free(queue);
    snprintf(pointer, sizeof pointer, "/v2/request-queues/%s/requests", queue_id);
    CHECK_OK(apify_request(client, "GET", pointer, "{\"filter\": \"locked\"}", NULL, &out));
    CHECK_JSON_IS(out, "/data/items", "[]");
    apify_string_free(out);
    CHECK_OK(apify_rq_lock_head(client, queue_id, 1.0, 25, &out));
    CHECK(strcmp(out, "[]") == 0);
    apify_string_free(out);
    CHECK_OK(apify_rq_delete(client, queue_id));
}

/* Single adds, another handle's locks, the argument errors, and deleting a queue. */
static void single_requests_and_errors(apify_client *client) {
    apify_client *other = NULL;
    char *queue = NULL, *out = NULL, *head = NULL;
    char queue_id[64], request_id[64], other_id[64];

    CHECK_OK(apify_client_new(NULL, &other));
    CHECK_OK(apify_rq_get_or_create(client, NULL, &queue));
    CHECK_JSON_IS(queue, "/name", "null");
    CHECK_JSON_GET(queue, "/id", queue_id);
    apify_string_free(queue);

    CHECK_OK(apify_rq_add(client, queue_id, "{\"url\": \"https://example.com/a\"}", 0, &out));
    CHECK_JSON_IS(out, "/wasAlreadyPresent", "false");
    CHECK_JSON_GET(out, "/requestId", request_id);
    apify_string_free(out);
    CHECK_OK(apify_rq_add(client, queue_id, "{\"url\": \"https://example.com/a/\"}", 0, &out));
    CHECK_JSON_IS(out, "/wasAlreadyPresent", "true");
    CHECK_JSON_IS(out, "/requestId", request_id);
    apify_string_free(out);
    /* At the head with forefront. */
    CHECK_OK(apify_rq_add(client, queue_id,
                          "{\"url\": \"https://example.com/b\", \"uniqueKey\": \"b\"}", 1, &out));
    CHECK_JSON_GET(out, "/requestId", other_id);
    apify_string_free(out);

    /* The other handle locks the head (b first, forefront); this one cannot touch its lock. */
    CHECK_OK(apify_rq_lock_head(other, queue_id, 30.0, 1, &head));
    CHECK_JSON_IS(head, "/0/id", other_id);
    CHECK_JSON_IS(head, "/0/uniqueKey", "b");
    CHECK_JSON_ABSENT(head, "/1");
    apify_string_free(head);
    CHECK_STATUS(apify_rq_mark_handled(client, queue_id, other_id), APIFY_STATUS_UNAUTHORIZED);
    CHECK_ERROR_MESSAGE_HAS("clientKey");
    CHECK_STATUS(apify_rq_delete_lock(client, queue_id, other_id, 0), APIFY_STATUS_UNAUTHORIZED);
    /* This handle gets the other request, not the locked one. */
    CHECK_OK(apify_rq_lock_head(client, queue_id, 30.0, 25, &head));
    CHECK_JSON_IS(head, "/0/id", request_id);
    CHECK_JSON_IS(head, "/0/url", "https://example.com/a");
    CHECK_JSON_ABSENT(head, "/1");
    apify_string_free(head);
    /* The owner gives its lock back; then anyone can take it. */
    CHECK_OK(apify_rq_delete_lock(other, queue_id, other_id, 0));
    CHECK_OK(apify_rq_mark_handled(client, queue_id, other_id));
    CHECK_OK(apify_rq_mark_handled(client, queue_id, request_id));
    CHECK_OK(apify_rq_mark_handled(client, queue_id, request_id));

    /* Argument errors: nothing is sent, the out-parameter stays untouched. */
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_rq_add(NULL, queue_id, "{}", 0, &out));
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out,
                apify_rq_add(client, NULL, "{\"url\": \"u\"}", 0, &out));
    CHECK_ERROR_MESSAGE_HAS("'queue_id'");
    CHECK_FAILS(APIFY_STATUS_NULL_ARGUMENT, out, apify_rq_add_batch(client, queue_id, NULL, 0, &out));
    CHECK_ERROR_MESSAGE_HAS("'requests_json'");
    CHECK_STATUS(apify_rq_lock_head(client, queue_id, 1.0, 1, NULL), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(apify_rq_mark_handled(client, queue_id, NULL), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_ERROR_MESSAGE_HAS("'request_id'");
    CHECK_STATUS(apify_rq_delete_lock(client, NULL, request_id, 0), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(apify_rq_delete(NULL, queue_id), APIFY_STATUS_NULL_ARGUMENT);
    CHECK_FAILS(APIFY_STATUS_INVALID_UTF8, out, apify_rq_add(client, BAD_UTF8, "{}", 0, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_JSON, out, apify_rq_add(client, queue_id, "{\"url\":", 0, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_rq_add(client, queue_id, "[]", 0, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_rq_add_batch(client, queue_id, "[{\"url\": \"u\"}, {}]", 0, &out));
    CHECK_ERROR_MESSAGE_HAS("request 1");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_rq_lock_head(client, queue_id, 1.0, 0, &out));
    CHECK_ERROR_MESSAGE_HAS("'limit'");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_rq_lock_head(client, queue_id, 1.0, 26, &out));
    CHECK_ERROR_MESSAGE_HAS("'limit'");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_rq_lock_head(client, queue_id, 0.0, 1, &out));
    CHECK_ERROR_MESSAGE_HAS("'lock_secs'");
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out, apify_rq_lock_head(client, queue_id, -1.0, 1, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_rq_lock_head(client, queue_id, (double)NAN, 1, &out));
    CHECK_FAILS(APIFY_STATUS_INVALID_ARGUMENT, out,
                apify_rq_lock_head(client, queue_id, (double)INFINITY, 1, &out));
    CHECK_ERROR_MESSAGE_HAS("'lock_secs'");

    /* Unknown queue and request: NOT_FOUND. */
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out,
                apify_rq_add(client, "noSuchQueue", "{\"url\": \"https://example.com/\"}", 0, &out));
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out,
                apify_rq_add_batch(client, "noSuchQueue", "[{\"url\": \"https://example.com/\"}]", 0, &out));
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out, apify_rq_lock_head(client, "noSuchQueue", 1.0, 5, &out));
    CHECK_STATUS(apify_rq_mark_handled(client, queue_id, "noSuchRequest"), APIFY_STATUS_NOT_FOUND);
    CHECK_STATUS(apify_rq_mark_handled(client, "noSuchQueue", request_id), APIFY_STATUS_NOT_FOUND);

    /* Deleting: the queue is gone for every call, and a second delete is NOT_FOUND. */
    CHECK_OK(apify_rq_delete(client, queue_id));
    CHECK_FAILS(APIFY_STATUS_NOT_FOUND, out, apify_rq_lock_head(client, queue_id, 1.0, 5, &out));
    CHECK_STATUS(apify_rq_delete(client, queue_id), APIFY_STATUS_NOT_FOUND);
    CHECK_STATUS(apify_rq_delete(client, "noSuchQueue"), APIFY_STATUS_NOT_FOUND);
    apify_client_free(other);
}

int main(void) {
    apify_client *client = check_client_from_env();
    crawl_two_threads(client);
    single_requests_and_errors(client);
    apify_client_free(client);
    return check_done();
}

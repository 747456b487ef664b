// libapify from C++: a small RAII wrapper over the C header (handles in std::unique_ptr with
// the library's free functions, strings copied into std::string and freed at once, failures
// as exceptions carrying the status and the last error), then a synchronous run of
// apify/hello-world: its OUTPUT record and its dataset items.
//
// The client reads APIFY_TOKEN and APIFY_API_BASE_URL. Exits non-zero on any failure.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "apify.h"

namespace apify {

// A failed call: its status and this thread's last error (message and JSON).
class Error : public std::runtime_error {
public:
    Error(const std::string &what, apify_status status)
        : std::runtime_error(what + " failed: " + apify_status_name(status) + ": " + take(apify_last_error_message())),
          status_(status), json_(take(apify_last_error_json())) {}
    apify_status status() const { return status_; }
    const std::string &json() const { return json_; }

    // Copies a string the library returned and frees it (NULL gives "").
    static std::string take(char *s) {
        std::unique_ptr<char, void (*)(char *)> owned(s, apify_string_free);
        return s ? std::string(s) : std::string();
    }

private:
    apify_status status_;
    std::string json_;
};

inline void check(apify_status status, const char *what) {
    if (status != APIFY_STATUS_OK) throw Error(what, status);
}

// A record's bytes and content type, copied out of the library's apify_record.
struct Record {
    std::string content_type;
    std::vector<std::uint8_t> data;
    std::string text() const { return std::string(data.begin(), data.end()); }
};

class Client {
public:
    // From APIFY_TOKEN and APIFY_API_BASE_URL, or from options JSON.
    explicit Client(const char *options_json = nullptr) : client_(nullptr, apify_client_free) {
        apify_client *c = nullptr;
        check(apify_client_new(options_json, &c), "apify_client_new");
        client_.reset(c);
    }

    Record run_sync(const std::string &actor, const std::string &input_json) const {
        apify_record *r = nullptr;
        check(apify_actor_run_sync(client_.get(), actor.c_str(), input_json.c_str(), nullptr, &r),
              "apify_actor_run_sync");
        std::unique_ptr<apify_record, void (*)(apify_record *)> owned(r, apify_record_free);
        Record record;
        record.content_type = apify_record_content_type(r);
        const std::uint8_t *data = apify_record_data(r);
        record.data.assign(data, data + apify_record_len(r));
        return record;
    }

    std::string run_sync_get_items(const std::string &actor, const std::string &input_json) const {
        char *items = nullptr;
        check(apify_actor_run_sync_get_items(client_.get(), actor.c_str(), input_json.c_str(),
                                             nullptr, &items),
              "apify_actor_run_sync_get_items");
        return Error::take(items);
    }

    std::string request(const std::string &method, const std::string &path) const {
        char *body = nullptr;
        check(apify_request(client_.get(), method.c_str(), path.c_str(), nullptr, nullptr, &body),
              "apify_request");
        return Error::take(body);
    }

private:
    std::unique_ptr<apify_client, void (*)(apify_client *)> client_;
};

}  // namespace apify

int main() {
    try {
        apify::Client client;
        const std::string input = "{\"message\": \"Hello from C++!\"}";
        apify::Record output = client.run_sync("apify/hello-world", input);
        std::printf("OUTPUT (%s): %s\n", output.content_type.c_str(), output.text().c_str());
        std::printf("items: %s\n", client.run_sync_get_items("apify/hello-world", input).c_str());
        // A failure is an exception with the status and the API's error.
        try {
            client.request("GET", "/v2/actor-runs/ZZZZZZZZZZZZZZZZZ");
            std::fprintf(stderr, "a missing run was found\n");
            return 1;
        } catch (const apify::Error &e) {
            if (e.status() != APIFY_STATUS_NOT_FOUND) throw;
            std::printf("expected failure: %s\n", e.what());
        }
        return 0;
    } catch (const apify::Error &e) {
        std::fprintf(stderr, "%s\n  %s\n", e.what(), e.json().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
    return 1;
}

#!/usr/bin/env bash
# Reads a whole dataset with curl, output to /dev/null, and prints the item count (the sum of
# X-Apify-Pagination-Count). The floor for the other readers.
#   curl_read.sh pages DATASET_ID CHUNK   one request per CHUNK items until a page scans none
#   curl_read.sh full DATASET_ID          a single request for all items
# Token and base URL come from APIFY_TOKEN and APIFY_API_BASE_URL.
set -euo pipefail
mode=$1 id=$2 chunk=${3:-1000}
get() {
    curl -sS --fail --noproxy '*' -H "Authorization: Bearer $APIFY_TOKEN" -o /dev/null \
        -w '%header{x-apify-pagination-count}' "$APIFY_API_BASE_URL/v2/datasets/$id/items?format=json$1"
}
if [[ $mode == full ]]; then
    get ""
    echo
    exit
fi
offset=0
while :; do
    n=$(get "&limit=$chunk&offset=$offset")
    [[ $n -gt 0 ]] || break
    offset=$((offset + n))
done
echo "$offset"

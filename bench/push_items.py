"""Pushes N generated items (~130 bytes each) into a dataset, in batches under 9 MB.

    python3 push_items.py BASE_URL TOKEN DATASET_ID N

Items: {"index": i, "text": 64 x's, "url": "https://example.com/page/i"}. Talks to the
emulator directly with http.client (no proxy).
"""
import http.client
import sys
import urllib.parse

BATCH = 50_000  # ~6.5 MB a request, under the 9,437,184-byte limit


def main():
    base, token, dataset_id, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    text = "x" * 64
    path = f"/v2/datasets/{dataset_id}/items"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for start in range(0, n, BATCH):
        end = min(n, start + BATCH)
        body = "[" + ",".join(
            f'{{"index":{i},"text":"{text}","url":"https://example.com/page/{i}"}}'
            for i in range(start, end)
        ) + "]"
        conn.request("POST", path, body.encode(), headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201:
            sys.exit(f"push_items: batch at {start}: HTTP {resp.status}")
    conn.close()


if __name__ == "__main__":
    main()

"""Reads a whole dataset with the official Python client and prints the item count.

    python3 read_python.py DATASET_ID [CHUNK]

CHUNK absent or 0: the client's default (`iterate_items()` without chunk_size). Token and
base URL come from APIFY_TOKEN and APIFY_API_BASE_URL.
"""
import os
import sys

from apify_client import ApifyClient


def main():
    dataset_id = sys.argv[1]
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    client = ApifyClient(os.environ["APIFY_TOKEN"], api_url=os.environ["APIFY_API_BASE_URL"])
    dataset = client.dataset(dataset_id)
    items = dataset.iterate_items(chunk_size=chunk) if chunk else dataset.iterate_items()
    count = 0
    for _ in items:
        count += 1
    print(count)


if __name__ == "__main__":
    main()

"""An S3-compatible server for the S3 source figures: moto's server mode on 127.0.0.1, own process.

``s3_server.py BUCKET FILE...``: starts ``moto.server.ThreadedMotoServer`` on a free port of
127.0.0.1, creates BUCKET and uploads each FILE as the key of its file name, then prints
``S3_READY http://127.0.0.1:PORT`` and serves until its stdin closes (the runner holds it open) or
it is terminated. Its own process, so neither its GIL nor the objects it holds count towards the
upload being measured.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}


def main() -> None:
    bucket, files = sys.argv[1], sys.argv[2:]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=url, **CREDENTIALS)  # type: ignore[call-overload]
    s3.create_bucket(Bucket=bucket)
    for name in files:
        s3.upload_file(name, bucket, Path(name).name)
    print(f"S3_READY {url}", flush=True)
    try:
        sys.stdin.read()  # until the runner closes our stdin (or terminates us)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

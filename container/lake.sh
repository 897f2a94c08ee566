#!/bin/sh
# The lake container: moto's S3 server on port 9000, and the bucket $D2B_LAKE_BUCKET created as soon as it
# answers. moto keeps objects in memory: a restart of this container empties the lake.
set -eu
moto_server --host 0.0.0.0 --port 9000 &
server=$!
trap 'kill -TERM "$server"' TERM INT
python3 - <<'PY'
import os
import time

import boto3
import botocore.exceptions

bucket = os.environ["D2B_LAKE_BUCKET"]
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
                  aws_access_key_id="lake", aws_secret_access_key="lake")
for _ in range(120):
    try:
        s3.create_bucket(Bucket=bucket)
        break
    except botocore.exceptions.EndpointConnectionError:
        time.sleep(0.5)
else:
    raise SystemExit(f"lake: moto did not answer on port 9000 within 60 s; bucket {bucket} not created")
print(f"lake: bucket {bucket} created", flush=True)
PY
wait "$server"

#!/bin/sh
# The README's viannotsink commands, as written: a dataset round trip with
# gst-launch-1.0 and the detector example, against vi-local-server started
# as the README says, in a scratch directory that sees data/ and docs/ as
# a checkout does.  Run by meson with the build's plugin path:
#   test-readme-sink.sh SRCDIR SERVER CLI
set -eu

SRC=$1
SERVER=$2
CLI=$3
WORK=$(mktemp -d)
SERVER_PID=""
cleanup () {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail () {
  echo "test-readme-sink: $*" >&2
  exit 1
}

cd "$WORK"
ln -s "$SRC/data" data
ln -s "$SRC/docs" docs

# "The local server", with the datasets of the viannotsink section.
"$SERVER" --port 0 --load sample=data/sample.jsonl --load copy=/dev/null \
  >server.out 2>server.err &
SERVER_PID=$!
i=0
while ! grep -q '^listening on ' server.out 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 600 ] && kill -0 "$SERVER_PID" 2>/dev/null ||
    fail "vi-local-server did not start: $(cat server.err)"
  sleep 0.1
done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1://p' server.out)

# "The CLI": the environment, as the README exports it.
export DATATURE_VI_API_ENDPOINT=http://127.0.0.1:$PORT
export DATATURE_VI_ORGANIZATION_ID=local-org
export DATATURE_VI_SECRET_KEY=dtvi_local_development_key_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
vi=$CLI

# The dataset round trip.
gst-launch-1.0 videotestsrc num-buffers=30 ! video/x-raw,width=640,height=480 ! \
  viannotsrc dataset-id=sample asset-id=street_0001 ! videoscale ! \
  video/x-raw,width=320,height=240 ! \
  viannotsink dataset-id=copy location=copy.jsonl >launch.out 2>&1 ||
  fail "the round trip failed: $(cat launch.out)"
$vi list copy street_0001 >list.out
grep -q '^5 annotations$' list.out || fail "copy holds: $(cat list.out)"
grep -q '"A red car parked next to a tall tree"' list.out ||
  fail "no caption in: $(cat list.out)"
[ "$(wc -l <copy.jsonl)" -eq 2 ] || fail "copy.jsonl: $(cat copy.jsonl)"

# The detector example.
python3 docs/examples/detector_to_dataset.py copy >detector.out 2>&1 ||
  fail "the detector example failed: $(cat detector.out)"
$vi list copy frame_000003.jpg >list.out
grep -q '^3 annotations$' list.out || fail "frame_000003.jpg: $(cat list.out)"
grep -q '"car and person"' list.out || fail "no caption in: $(cat list.out)"
echo ok

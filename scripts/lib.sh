# scripts/lib.sh - what the scripts share. Source it with the script's name as its argument:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh" bench
#
#   log MESSAGE...         a progress line on stderr: [bench 12:34:56] MESSAGE
#   die MESSAGE...         log "ERROR: MESSAGE", then exit 1
#   now_ms                 milliseconds since the epoch
#   admin_token URL EMAIL PASSWORD
#                          an access token of a Directus admin (POST URL/auth/login), on stdout;
#                          fails (status 1, Directus's answer on stderr) when the login does
# shellcheck shell=bash

LIB_NAME=${1:?"lib.sh: give the script's name"}

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$LIB_NAME" -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

admin_token() {
  local url=$1 email=$2 password=$3 body answer
  body=$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' \
    "$email" "$password")
  answer=$(curl -s --max-time 30 -X POST "$url/auth/login" -H 'Content-Type: application/json' -d "$body") \
    || { echo "no answer from $url/auth/login" >&2; return 1; }
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["access_token"])' "$answer" 2>/dev/null \
    || { echo "$url/auth/login answered: $answer" >&2; return 1; }
}

#!/usr/bin/env bash
# The README's quickstart, as a script: import members, create a network
# with its monthly meeting, invite by search, read the invitation the
# mailer sent, answer through the RSVP link (GET shows, POST records) and
# watch the feed's ETag change. Needs curl; prints the feed URL at the end.
#
#   NATVERK_URL    base URL (default http://127.0.0.1:8080)
#   NATVERK_TOKEN  admin token (default: the file var/admin-token, or
#                  $NATVERK_DATA/admin-token)
# Exits non-zero at the first step that fails. Run it against the
# embedded mode (`go run ./cmd/natverk`): it reads the mail from /mail.
set -euo pipefail

URL=${NATVERK_URL:-http://127.0.0.1:8080}
DATA=${NATVERK_DATA:-./var}
TOKEN=${NATVERK_TOKEN:-$(cat "$DATA/admin-token" 2>/dev/null || true)}
[[ -n $TOKEN ]] || { echo "quickstart: no admin token: set NATVERK_TOKEN or run from the directory where natverk keeps ./var" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "quickstart: FAILED: $*" >&2; exit 1; }
# api METHOD PATH [curl args...]: prints the body, fails on a 4xx/5xx.
api() {
  local method=$1 path=$2; shift 2
  local code
  code=$(curl -sS -o "$work/body" -w '%{http_code}' -X "$method" -H "$AUTH" "$@" "$URL$path") || fail "$method $path: no answer from $URL (is natverk running?)"
  [[ $code == 2* ]] || { cat "$work/body" >&2; fail "$method $path answered $code"; }
  cat "$work/body"
}
# field NAME: the first numeric or string value of "NAME" in JSON on stdin.
field() { grep -o "\"$1\": *\(\"[^\"]*\"\|[0-9]*\)" | head -n1 | sed -E 's/^"[^"]*": *"?//; s/"$//'; }

step "1. Import three members (CSV)"
cat > "$work/members.csv" <<'CSV'
email,name,town,industry,company
asa.oberg@example.org,Åsa Öberg,Göteborg,Logistik,Hamnbolaget AB
bjorn.stahl@example.org,Björn Ståhl,Göteborg,Vård,Sahlgrenska
cecilia.malm@example.org,Cecilia Malm,Malmö,Bank,Öresundsbanken
CSV
api POST /api/v1/members/import -H 'Content-Type: text/csv' --data-binary @"$work/members.csv"

step "2. How many members match \"goteborg\"?"
total=$(api GET '/api/v1/members?q=goteborg' | field total)
echo "$total members match"
[[ $total -ge 2 ]] || fail "expected at least 2 members in Göteborg"

step "3. Create a network with its meeting: second Tuesday of every month, 18:00 Stockholm time"
slug="chefer-i-goteborg-$(date +%s)"
network=$(api POST /api/v1/networks -H 'Content-Type: application/json' -d '{
  "name": "Chefer i Göteborg", "slug": "'"$slug"'", "kind": "geographic",
  "description": "Nätverk för chefer i Göteborg: vi ses en gång i månaden.",
  "have": "En lokal vid Järntorget och fika.", "need": "Talare om ledarskap.",
  "meeting": {"start": "2027-01-12T18:00", "time_zone": "Europe/Stockholm", "duration_minutes": 120,
              "rrule": "FREQ=MONTHLY;BYDAY=2TU", "location": "Järntorget 1, Göteborg"}}')
id=$(echo "$network" | field id)
feed=$(echo "$network" | field https)
echo "network $id, feed $feed"

step "4. Invite everyone in Göteborg (by search)"
api POST "/api/v1/networks/$id/invitations" -H 'Content-Type: application/json' -d '{"search": {"town": "goteborg"}}'

step "5. The mailer sends a real calendar invitation (iMIP REQUEST)"
msg=""
for _ in $(seq 1 50); do
  curl -sS "$URL/mail" > "$work/mail.html" || true
  for name in $(grep -o 'href="/mail/[^"]*"' "$work/mail.html" | sed 's|href="/mail/||; s|"||'); do
    curl -sS "$URL/mail/$name" > "$work/msg.eml"
    if grep -q "^To: .*asa.oberg@example.org" "$work/msg.eml" && grep -q "$slug" "$work/msg.eml"; then msg=$name; break 2; fi
  done
  sleep 0.2
done
[[ -n $msg ]] || fail "no invitation to asa.oberg@example.org appeared on $URL/mail"
grep -q 'Content-Type: text/calendar; method=REQUEST' "$work/msg.eml" || fail "the invitation has no text/calendar; method=REQUEST part"
echo "invitation: $URL/mail/$msg"
# The calendar attachment (base64) as a file; checked with icalcheck when it is at hand.
awk '/^Content-Type: application\/ics/{p=1} p&&/^$/{b=1;next} b&&/^--/{exit} b{print}' "$work/msg.eml" | base64 -d > "$work/invite.ics"
grep -q 'BEGIN:VTIMEZONE' "$work/invite.ics" || fail "the invitation's calendar has no VTIMEZONE"
here=$(cd "$(dirname "$0")/.." && pwd)
for tool in "${NATVERK_ICALCHECK:-}" "$here/../shared/tools/icalcheck/icalcheck" "$here/tools/icalcheck/icalcheck"; do
  if [[ -n $tool && -x $tool ]] && command -v node >/dev/null; then
    "$tool" "$work/invite.ics" || fail "icalcheck found problems in the invitation"
    echo "icalcheck: the invitation's calendar is clean"; break
  fi
done

step "6. The feed before anyone answered"
etag1=$(curl -sS -D - -o "$work/feed1.ics" "$feed" | grep -i '^etag:' | tr -d '\r' | cut -d' ' -f2)
[[ -n $etag1 ]] || fail "the feed has no ETag"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag1" "$feed")
[[ $code == 304 ]] || fail "If-None-Match answered $code, not 304"
echo "ETag $etag1 (304 on If-None-Match)"

step "7. Answer yes through the RSVP link: GET shows the page, the button POSTs"
# Undo quoted-printable soft breaks to read the link from the text part.
link=$(sed -e ':a' -e '/=$/{N;s/=\n//;ba' -e '}' "$work/msg.eml" | sed 's/=3D/=/g' | grep -o "$URL/rsvp/[a-z0-9]*" | head -n1)
[[ -n $link ]] || fail "no RSVP link in the invitation"
curl -sS "$link?a=yes" > "$work/rsvp.html"
csrf=$(grep -o 'name="csrf" value="[a-f0-9]*"' "$work/rsvp.html" | sed 's/.*value="//; s/"$//')
[[ -n $csrf ]] || fail "the RSVP page has no form"
code=$(curl -sS -o "$work/answer.html" -w '%{http_code}' --data-urlencode "csrf=$csrf" --data-urlencode "answer=yes" "$link")
[[ $code == 200 ]] || fail "the answer POST answered $code"
grep -q 'Ja, jag kommer\|Yes, I' "$work/answer.html" || fail "the answer page does not show the answer"
echo "recorded: yes"

step "8. The calendar worker re-renders the feed: the ETag changes"
etag2=$etag1
for _ in $(seq 1 50); do
  etag2=$(curl -sS -D - -o "$work/feed2.ics" "$feed" | grep -i '^etag:' | tr -d '\r' | cut -d' ' -f2)
  [[ $etag2 != "$etag1" ]] && break
  sleep 0.2
done
[[ $etag2 != "$etag1" ]] || fail "the feed's ETag did not change after the answer"
grep -o 'Nästa möte[^\\]*' "$work/feed2.ics" | head -n1 || true
echo "ETag $etag1 -> $etag2"

printf '\nDone. Subscribe to the network in a calendar app:\n  %s\n  %s\n' "$feed" "${feed/http:/webcal:}"

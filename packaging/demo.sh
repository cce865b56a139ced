#!/usr/bin/env bash
# Installs what ferry needs, builds it and runs the main job (the README's first command):
# the shipped flows syncing the local Salesforce and People emulators through `ferry serve`, on
# the embedded SQLite state. Everything listens on loopback and is stopped at the end.
#   FERRY_DEMO_SANDBOX_PORT (18484), FERRY_DEMO_PORT (18080): ports to use.
#   FERRY_DEMO_SKIP_BUILD=1: reuse build/release as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${FERRY_DEMO_SKIP_BUILD:-0}" != 1 ]; then
  bash packaging/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)"
fi

bin=$root/build/release/bin
demo=$root/build/demo
sandbox_port=${FERRY_DEMO_SANDBOX_PORT:-18484}
ferry_port=${FERRY_DEMO_PORT:-18080}
sandbox=http://127.0.0.1:$sandbox_port
ferry=http://127.0.0.1:$ferry_port

rm -rf "$demo" && mkdir -p "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
wait_for() {  # wait_for URL SECONDS
  for _ in $(seq 1 $(($2 * 10))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "gave up waiting for $1" >&2; return 1
}

step "Start the Salesforce and People emulators on $sandbox"
"$bin/ferry-sandbox" --port "$sandbox_port" --seed 42 >"$demo/sandbox.log" 2>&1 &
pids+=($!)
wait_for "$sandbox/__sandbox/" 10
curl -sf -X POST "$sandbox/__sandbox/salesforce/seed" -H 'Content-Type: application/json' \
  -d '{"Account": 20, "Contact": 300, "Lead": 100, "seed": 7, "invalidShare": 0.02}' | jq -c .
# As on People's Configuration page: the custom attributes the shipped flows map to.
for attribute in 'EmailOptOut BOOLEAN' 'Company STRING' 'Lead Source STRING'; do
  curl -sf -X POST "$sandbox/__sandbox/people/customAttributes" -H 'Content-Type: application/json' \
    -d "{\"name\": \"${attribute% *}\", \"dataType\": \"${attribute##* }\"}" |
    jq -c '{customAttribute: .name, dataType}'
done

step "Start ferry serve on $ferry (state: $demo/state.db)"
"$bin/ferry" keygen --out "$demo/master.key" >/dev/null
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && echo "$token" >"$demo/tokens")
cat >"$demo/ferry.yaml" <<EOF
listen: { address: 127.0.0.1, port: $ferry_port }
public_url: $ferry
state: sqlite://$demo/state.db
plugin_dirs: [$root/build/release/plugins]
flow_dir: $root/flows
log: { format: text, level: info, file: $demo/ferry.log }
token_file: $demo/tokens
master_key: { file: $demo/master.key }
EOF
# The shipped connection files read their endpoints from these variables.
SALESFORCE_LOGIN_URL=$sandbox PEOPLE_BASE_URL=$sandbox \
  "$bin/ferry" serve --config "$demo/ferry.yaml" >>"$demo/ferry.log" 2>&1 &
pids+=($!)
wait_for "$ferry/healthz" 20

api() {  # api METHOD PATH [JSON]
  curl -sS -X "$1" "$ferry/api/v1$2" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

step "Store the credentials (write-only) and test both connections live"
# inbound_secret authenticates the Outbound Messages Salesforce pushes to ferry (below).
inbound=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
api PUT /credentials/salesforce \
  "{\"client_id\": \"ferry-demo-consumer-key\", \"client_secret\": \"ferry-demo-consumer-secret\",
    \"inbound_secret\": \"$inbound\"}" | jq -c .
# People webhooks present their own secret (the shipped connection checks it as webhook_token).
people_inbound=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
api PUT /credentials/people \
  "{\"api_key\": \"sandbox-people-key\", \"inbound_secret\": \"$people_inbound\"}" | jq -c .
api POST /connections/salesforce/test | jq -c .
api POST /connections/people/test | jq -c .

step "Salesforce pushes Contact and Lead changes to ferry (Outbound Messages)"
# As an admin would in Setup: an outbound message on create and edit, sent to the Salesforce
# connection's inbound endpoint. Each one wakes the flows reading that object at once; the
# flows' 10 s poll stays as the safety net for a lost message.
for object in Contact Lead; do
  curl -sf -X POST "$sandbox/__sandbox/salesforce/outbound-messages" \
    -H 'Content-Type: application/json' \
    -d "{\"name\": \"${object}sToFerry\", \"object\": \"$object\", \"fields\": [\"LastModifiedDate\"],
         \"endpointUrl\": \"$ferry/api/v1/inbound/salesforce?token=$inbound\"}" |
    jq -c '{outboundMessage: .name, object, endpointUrl, triggers}'
done

step "People pushes person changes to ferry (webhook)"
# As set in the Infobip portal: person events go to the People connection's inbound endpoint and
# wake the flows that read persons back into Salesforce.
curl -sf -X PUT "$sandbox/__sandbox/people/webhook" -H 'Content-Type: application/json' \
  -d "{\"url\": \"$ferry/api/v1/inbound/people?token=$people_inbound\"}" |
  jq -c '{webhook: (.url | sub("token=.*"; "token=***"))}'

step "Flows deployed from flows/ at start-up"
api GET /flows | jq -r '.flows[] | "  \(.name)  version \(.version)  active=\(.active)"'

step "Activate them"
start=$(date +%s%N)  # the initial load starts with the first activation
for f in contacts-to-customers leads-to-people-leads accounts-to-companies; do
  api POST "/flows/$f/activate" | jq -c '{flow: .name, active}'
done

people_count() {  # people_count TYPE
  curl -sf "$sandbox/__sandbox/people/dump" | jq "[.persons[] | select(.type == \"$1\")] | length"
}
step "Initial load: waiting for the People audience to fill"
for _ in $(seq 1 240); do
  customers=$(people_count CUSTOMER); leads=$(people_count LEAD)
  companies=$(curl -sf "$sandbox/__sandbox/people/dump" | jq '.companies | length')
  # Seeded on purpose: a few Contacts/Leads carry a phone that cannot exist; they are rejected.
  [ "$customers" -ge 290 ] && [ "$leads" -ge 90 ] && [ "$companies" -ge 20 ] && break
  sleep 0.25
done
printf '  People: %d customers, %d leads, %d companies; %d ms after activation\n' \
  "$customers" "$leads" "$companies" $((($(date +%s%N) - start) / 1000000))

step "A user edits a Contact in Salesforce; how long until People shows it?"
contact=$(curl -sf "$sandbox/__sandbox/salesforce/dump?object=Contact" |
  jq -r '[.Contact[] | select(.IsDeleted == false and .Email != null)][0].Id')
curl -sf -X PATCH "$sandbox/__sandbox/salesforce/records/Contact/$contact" \
  -H 'Content-Type: application/json' -d '{"MailingCity": "Dubrovnik"}' >/dev/null
start=$(date +%s%N)
person_city() {
  curl -sf "$sandbox/__sandbox/people/persons?identifier=sf-$1&type=EXTERNAL_ID" | jq -r '.city // empty'
}
for _ in $(seq 1 1500); do [ "$(person_city "$contact")" = Dubrovnik ] && break; sleep 0.02; done
printf '  Contact %s: MailingCity Dubrovnik -> People city "%s" after %d ms (pushed by an Outbound Message)\n' \
  "$contact" "$(person_city "$contact")" $((($(date +%s%N) - start) / 1000000))
curl -sf "$sandbox/__sandbox/salesforce/outbound-delivery" |
  jq -r '.counters | "  Outbound Messages: \(.deliveredMessages) delivered (\(.deliveredNotifications) notifications), \(.failedAttempts) failed attempts, \(.pendingMessages) pending"'

step "A marketer edits the same person in People; the two-way flow brings it back"
curl -sf -X PATCH "$sandbox/__sandbox/people/persons?identifier=sf-$contact&type=EXTERNAL_ID" \
  -H 'Content-Type: application/json' -d '{"city": "Zadar"}' >/dev/null
start=$(date +%s%N)
contact_city() {
  curl -sf "$sandbox/__sandbox/salesforce/dump?object=Contact" |
    jq -r --arg id "$1" '.Contact[] | select(.Id == $id) | .MailingCity'
}
for _ in $(seq 1 300); do [ "$(contact_city "$contact")" = Zadar ] && break; sleep 0.1; done
printf '  People city Zadar -> Salesforce MailingCity "%s" after %d ms (pushed by a People webhook)\n' \
  "$(contact_city "$contact")" $((($(date +%s%N) - start) / 1000000))
curl -sf "$sandbox/__sandbox/people/webhook" |
  jq -r '"  People webhooks: \(.delivered) delivered, \(.failed) failed, \(.pending) pending"'

step "Flow status"
for f in contacts-to-customers leads-to-people-leads accounts-to-companies; do
  api GET "/flows/$f/status" | jq -c .
done

step "Records the other side refused, with their reasons (retry them once fixed)"
api GET '/dead-letters?limit=5' |
  jq -r '.deadLetters[]? | "  #\(.id) \(.flow) \(.recordId): \(.reason)"'

step "Done"
echo "  state: $demo/state.db   logs: $demo/ferry.log, $demo/sandbox.log"
echo "  API calls the emulators answered:"
curl -sf "$sandbox/__sandbox/counters" | jq -r '.total | "    \(.)"' 2>/dev/null || true

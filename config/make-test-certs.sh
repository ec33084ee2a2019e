#!/usr/bin/env bash
# Makes a TEST certificate authority and one key store per node for Artery TLS with mutual
# authentication (config/tls-example.conf). Not for production: keys are unencrypted beyond the
# store password and the CA key sits next to the node keys.
#   config/make-test-certs.sh OUT_DIR [NODE_NAME ...]     (default node names: node1 node2 node3)
# Writes OUT_DIR/ca.p12 (the CA's key), OUT_DIR/ca.crt, OUT_DIR/truststore.p12 (trusts the CA)
# and OUT_DIR/<node>.p12 (the node's key and CA-signed certificate, alias "node").
# Store password: $FLOCK_TLS_PASSWORD (default "changeit"). Needs keytool (any JDK).
set -euo pipefail

die() { echo "make-test-certs: $*" >&2; exit 1; }
[[ $# -ge 1 ]] || die "usage: $0 OUT_DIR [NODE_NAME ...]"
command -v keytool >/dev/null 2>&1 || die "keytool not found; install a JDK"
out="$1"; shift
nodes=("$@"); [[ ${#nodes[@]} -gt 0 ]] || nodes=(node1 node2 node3)
pass="${FLOCK_TLS_PASSWORD:-changeit}"
mkdir -p "$out"
kt() { keytool -noprompt -storetype PKCS12 -storepass "$pass" "$@" >/dev/null 2>&1 || die "keytool $1 failed"; }

kt -genkeypair -keystore "$out/ca.p12" -alias ca -keyalg RSA -keysize 2048 -validity 30 \
   -dname "CN=Flock test CA" -ext bc:c
kt -exportcert -keystore "$out/ca.p12" -alias ca -rfc -file "$out/ca.crt"
rm -f "$out/truststore.p12"
kt -importcert -keystore "$out/truststore.p12" -alias ca -file "$out/ca.crt"

for node in "${nodes[@]}"; do
  store="$out/$node.p12"
  rm -f "$store"
  kt -genkeypair -keystore "$store" -alias node -keyalg RSA -keysize 2048 -validity 30 \
     -dname "CN=$node" -ext "san=dns:localhost,ip:127.0.0.1"
  kt -certreq -keystore "$store" -alias node -file "$out/$node.csr"
  kt -gencert -keystore "$out/ca.p12" -alias ca -infile "$out/$node.csr" -outfile "$out/$node.crt" -validity 30 \
     -ext "san=dns:localhost,ip:127.0.0.1" -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth,clientAuth
  kt -importcert -keystore "$store" -alias ca -file "$out/ca.crt"
  kt -importcert -keystore "$store" -alias node -file "$out/$node.crt"
  rm -f "$out/$node.csr"
done
echo "make-test-certs: CA and key stores for ${nodes[*]} in $out" >&2

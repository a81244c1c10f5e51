#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerates the test certificates (self-signed, EC P-256).  Run from this folder; the
# tests read the files, they never run this.
#   server.{pem,key}      localhost / 127.0.0.1, valid 50 years
#   expired.{pem,key}     localhost / 127.0.0.1, valid only during 2000
#   other-host.{pem,key}  other.example.org, valid 50 years
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key () { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

key server.key
openssl req -x509 -new -key server.key -out server.pem -days 18262 \
  -subj "/CN=localhost/O=harness" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"

key other-host.key
openssl req -x509 -new -key other-host.key -out other-host.pem -days 18262 \
  -subj "/CN=other.example.org/O=harness" \
  -addext "subjectAltName=DNS:other.example.org"

# openssl req cannot back-date; openssl ca can set both dates of a self-signed cert.
key expired.key
mkdir "$work/ca"
: > "$work/ca/index.txt"
echo 01 > "$work/ca/serial"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $work/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
organizationName = optional
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
CNF
openssl req -new -key expired.key -out "$work/expired.csr" -subj "/CN=localhost/O=harness"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile expired.key \
  -in "$work/expired.csr" -out "$work/expired.full" -extensions ext \
  -startdate 20000101000000Z -enddate 20001231000000Z
openssl x509 -in "$work/expired.full" -out expired.pem

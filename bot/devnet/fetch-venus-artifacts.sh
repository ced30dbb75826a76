#!/bin/sh
# Usage: fetch-venus-artifacts.sh <tools dir>
# Installs the Venus artifacts pinned in venus-packages.txt into <tools dir>/venus/. Only the
# tarballs are fetched: `npm install` of venus-protocol would pull ~2.3 GB of JavaScript tooling
# (and a governance-contracts version the registry lacks) for the few MB of JSON we deploy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pins="$here/venus-packages.txt"
dest="$1/venus"
work="$dest.partial"
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tgz"
grep -v '^#' "$pins" | grep -v '^[[:space:]]*$' | while read -r spec sha; do
    name=${spec#@venusprotocol/}
    name=${name%@*}
    if ! out=$(cd "$work/tgz" && npm pack --loglevel=error --ignore-scripts "$spec"); then
        echo "fetch-venus-artifacts: npm pack $spec failed (is the npm registry reachable?)" >&2
        exit 1
    fi
    tgz=$(echo "$out" | tail -n 1)
    if ! echo "$sha  $work/tgz/$tgz" | sha512sum -c --status; then
        echo "fetch-venus-artifacts: $spec: sha512 of $tgz differs from $pins" >&2
        exit 1
    fi
    mkdir -p "$work/$name"
    tar xzf "$work/tgz/$tgz" -C "$work/$name" --strip-components=1 \
        --exclude='package/artifacts/build-info' --exclude='*.dbg.json' \
        package/package.json package/artifacts
done
rm -rf "$work/tgz" "$dest"
mv "$work" "$dest"
cp "$pins" "$dest/venus-packages.txt"
touch "$dest/.installed"

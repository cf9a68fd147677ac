#!/usr/bin/env bash
# Debian packages the namespace tests and the bench use as real peers. Needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  iproute2 iptables nftables knockd openssh-server openssh-client tcpdump netcat-openbsd iputils-ping hyperfine procps \
  zsh fish tmux  # the completion tests run the real shells; the terminal tests a real tmux
# man-db: the man-page test renders dist/knock.1 with man -l; the install test runs man knock
apt-get install -y -q --no-install-recommends man-db
# fwknop-client/-server: the SPA tests compare our packets with fwknop's and have fwknopd check them
apt-get install -y -q --no-install-recommends fwknop-client fwknop-server
# puppet + puppetlabs-firewall 3.4.0: the Puppet test applies `knock rules --format puppet` in a server namespace
apt-get install -y -q --no-install-recommends puppet puppet-module-puppetlabs-firewall

# The students' workstation for the classroom lab: a Debian shell with the mail and network tools the
# exercises use. It resolves through the lab DNS (docker-compose.yml) and trusts the lab CA at start.
# gpg's dirmngr uses the system resolver (standard-resolver), so hkp://10.127.9.1:11371 works as written.
# apt needs the network at build time only (compose: build.network host).
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates openssl curl bind9-dnsutils telnet netcat-openbsd iproute2 iputils-ping tcpdump \
      swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl \
      s-nail python3 less vim-tiny gnupg dirmngr \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -m 700 /root/.gnupg \
 && echo standard-resolver >/root/.gnupg/dirmngr.conf
COPY workstation-entrypoint.sh /usr/local/bin/workstation-entrypoint
WORKDIR /root
ENTRYPOINT ["workstation-entrypoint"]
CMD ["sleep", "infinity"]

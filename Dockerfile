# sremon in a container: one image for every service of the stack (the compose file's `native`
# profile) and for the demo app of the `reference` profile.
#
# The build stage runs the same commands as scripts/up.sh: scripts/deps.sh (Debian packages)
# and scripts/build.sh (CMake Release build of the sremon binary).
FROM debian:bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates git >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN ./scripts/deps.sh build
RUN ./scripts/build.sh sremon
# The runtime stage installs only the packages holding the shared libraries sremon links (glibc:
# the other libraries are linked statically, cmake/Dependencies.cmake).
RUN ./scripts/runtime-packages.sh build/src/sremon > /runtime-packages.txt

FROM debian:bookworm-slim
COPY --from=build /runtime-packages.txt /tmp/runtime-packages.txt
# curl is for the compose healthchecks; ca-certificates lets e-mail receivers verify their
# SMTP server's certificate (sremon links OpenSSL statically, but reads the system's CAs).
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends curl ca-certificates $(cat /tmp/runtime-packages.txt) >/dev/null \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /src/build/src/sremon /usr/local/bin/sremon
# The reference layout: services run from /etc/sremon so prometheus/... and grafana/... resolve.
COPY prometheus /etc/sremon/prometheus
COPY grafana /etc/sremon/grafana
WORKDIR /etc/sremon
ENV GF_PATHS_PROVISIONING=/etc/sremon/grafana/provisioning
VOLUME /var/lib/sremon
EXPOSE 8080 8428 8880 9093 3000 5001
ENTRYPOINT ["/usr/local/bin/sremon"]
CMD ["app", "-httpListenAddr=0.0.0.0:8080"]

# riposte, built from source on Debian 12. `docker build -t riposte .`, or `make image` (which,
# without a container engine, runs these same steps into a staging root and checks them).
# Every RUN is a script of the repository, so the engine-less check runs exactly what is here.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/image/build.sh /out /src/build-image

FROM debian:bookworm-slim
COPY --from=build /out/ /
COPY scripts/image/ /tmp/image/
RUN /tmp/image/runtime.sh && rm -rf /tmp/image
USER riposte
WORKDIR /var/lib/riposte
VOLUME /var/lib/riposte
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/riposte"]
CMD ["serve", "--config", "/etc/riposte", "--listen", "0.0.0.0:8080"]

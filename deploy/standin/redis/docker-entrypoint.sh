#!/bin/sh
# What the official redis image's entrypoint does that the compose file relies on.
set -e
# `docker run redis --appendonly yes` means redis-server --appendonly yes
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" = 'redis-server' ]; then
    # No config file: listen on every interface without protected mode, as the official
    # image does (the network, not Redis, restricts who can connect).
    case "${2:-}" in
        *.conf) ;;
        *) set -- "$@" --protected-mode no ;;
    esac
    if [ "$(id -u)" = '0' ]; then
        find . \! -user redis -exec chown redis '{}' +
        exec gosu redis "$0" "$@"
    fi
fi
umask 0077
exec "$@"

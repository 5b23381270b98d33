#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] != ["runserver"]:
        from hub.realtime import relay_through_database

        # A command (the worker included) serves no sockets: with the in-memory channel
        # layer, what it sends reaches the server's sockets through the database instead.
        relay_through_database()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""Where an event page and its calendar entry lead to its live room (content/navigation.py)."""

EVENT_ROOM_URL_NAME = "community:event_live"

"""Binance Futures WebSocket streams served by the emulator (reference Part 2).

- ``listen_keys``: the listenKey book (60 min validity, POST/PUT/DELETE rules);
- ``rest``: ``/fapi/v1/listenKey`` and ``/dapi/v1/listenKey``;
- ``journal``: user-data events derived from the state change of one locked operation;
- ``payloads``: the JSON frames (markPriceUpdate, ORDER_TRADE_UPDATE, ACCOUNT_UPDATE...);
- ``hub``: per-connection queues and the hand-over from the engine lock to the event loop;
- ``faults``: stream faults (drop, stall, duplicate, reorder);
- ``sockets``: the Starlette WebSocket routes; ``control``: their control-plane endpoints.
"""

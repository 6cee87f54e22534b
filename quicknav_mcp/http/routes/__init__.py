"""REST route groups: thin adapters that validate with the tools' models, call one service, shape the answer."""

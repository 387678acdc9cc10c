import sys
print('loading settings from settings.yaml', file=sys.stderr)
print('KeyError: database_url', file=sys.stderr)
sys.exit(3)

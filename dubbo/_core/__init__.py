"""The Triple core shared by client, server and registry: configs, wire headers, attachments,
errors, transport options, stream reading and interceptor hooks. Imports nothing above it."""

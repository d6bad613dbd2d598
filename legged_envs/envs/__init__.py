"""The generic batched environment that runs any task on any physics backend."""

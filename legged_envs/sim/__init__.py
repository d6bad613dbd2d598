"""Physics backends behind one narrow, batched interface."""

"""Object stores (local folder, IBM COS) behind one small interface, and ``$__dest`` result writing."""

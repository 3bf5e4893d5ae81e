"""The satisfaction system (满意度, M5): ratings, signed survey links, resolution-power grades."""

"""Chinese assessment reports (PDF, Word, Excel), the yearly index report, and their background generation."""

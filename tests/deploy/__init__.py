"""The front server (nginx) in front of a real gunicorn."""

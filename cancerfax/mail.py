"""Development mail: printed to the console as a person reads it.

Django's console backend prints the wire format, where a long line is folded with
quoted-printable soft breaks ("=" at the end of a line) and non-ASCII letters are escaped:
a sign-in link then arrives in two pieces that no terminal can open. This backend prints
the headers that matter and each text part decoded, so every link stays one line.
"""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class EmailBackend(ConsoleBackend):
    def write_message(self, message) -> None:
        msg = message.message()
        lines = [f"{name}: {msg[name]}" for name in ("From", "To", "Cc", "Subject") if msg[name]]
        for part in msg.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename or part.get_content_maintype() != "text":
                lines.append(f"[attachment: {filename or part.get_content_type()}]")
                continue
            lines.append("")
            lines.append(part.get_content().rstrip("\n"))
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")

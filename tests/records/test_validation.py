"""inspect_file on its own: every way a real file can be cut or corrupted is a refusal."""

from records.validation import FileRefused, inspect_file

from .files import dicom_bytes, dicom_zip_bytes


def verdict(tmp_path, data: bytes, category: str = "imaging"):
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    try:
        return inspect_file(path, category)
    except FileRefused as refused:
        return refused.reason


def test_every_truncation_of_a_dicom_file_is_refused(tmp_path):
    data = dicom_bytes()
    assert verdict(tmp_path, data).kind == "dicom"
    accepted = [n for n in range(len(data)) if not isinstance(verdict(tmp_path, data[:n]), str)]
    assert accepted == []


def test_a_dicom_file_with_fewer_pixels_than_its_size_says_is_refused(tmp_path):
    data = dicom_bytes(pixels=b"\x01" * 1024 * 4)
    ds_rows = data.replace(
        b"\x28\x00\x10\x00US\x02\x00\x04\x00", b"\x28\x00\x10\x00US\x02\x00\x08\x00"
    )
    assert ds_rows != data
    assert "damaged" in verdict(tmp_path, ds_rows)


def test_a_corrupted_dicom_zip_is_refused_or_still_whole(tmp_path):
    original = dicom_zip_bytes(2)
    for offset in range(0, len(original), 3):
        data = bytearray(original)
        data[offset] ^= 0xA5
        result = verdict(tmp_path, bytes(data))
        # A readable refusal, or (a flipped byte in a README, a timestamp) still an archive
        # that passed every check. Any other exception fails the test.
        assert isinstance(result, str) or result.kind == "zip", offset

"""E-mail tasks (invoices, receipts, magic links). Written by the documents/partner-space work."""

from celery import shared_task


@shared_task
def send_invoice(invoice_id):
    raise NotImplementedError


@shared_task
def send_receipt(partnership_id, invoice_id):
    raise NotImplementedError

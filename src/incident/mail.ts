import nodemailer, { type Transporter } from 'nodemailer';

/** Sends plain-text e-mails (the Art. 34 notices) through an SMTP server. */
export interface Mailer {
  send(to: string, subject: string, text: string): Promise<void>;
  close(): void;
}

/**
 * MEDVAULT_SMTP_URL (smtp://user:pass@host:port, or smtps://), MEDVAULT_SMTP_FROM. The message
 * carries only the notice addressed to that patient.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(to: string, subject: string, text: string): Promise<void> {
    await this.transport.sendMail({ from: this.from, to, subject, text });
  }

  close(): void {
    this.transport.close();
  }
}

ALTER TABLE "webhook_deliveries" ADD COLUMN "last_status_code" integer;--> statement-breakpoint
CREATE INDEX "messages_created_id_idx" ON "messages" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "messages_session_created_id_idx" ON "messages" USING btree ("session_id","created_at","id");--> statement-breakpoint
CREATE INDEX "otps_created_id_idx" ON "otps" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "otps_session_created_id_idx" ON "otps" USING btree ("session_id","created_at","id");
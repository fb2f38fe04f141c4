ALTER TABLE "webhook_events" ADD COLUMN "stream_pos" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_stream_pos_idx" ON "webhook_events" USING btree ("stream_pos");
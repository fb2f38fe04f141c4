CREATE TABLE "known_chats" (
	"session_id" text NOT NULL,
	"jid" text NOT NULL,
	"first_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "known_chats_session_id_jid_pk" PRIMARY KEY("session_id","jid")
);
--> statement-breakpoint
CREATE TABLE "lid_mappings" (
	"session_id" text NOT NULL,
	"lid" text NOT NULL,
	"phone" text NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "lid_mappings_session_id_lid_pk" PRIMARY KEY("session_id","lid")
);
--> statement-breakpoint
CREATE TABLE "recipient_checks" (
	"session_id" text NOT NULL,
	"jid" text NOT NULL,
	"on_whatsapp" boolean NOT NULL,
	"checked_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "recipient_checks_session_id_jid_pk" PRIMARY KEY("session_id","jid")
);
--> statement-breakpoint
CREATE TABLE "send_governor" (
	"session_id" text PRIMARY KEY NOT NULL,
	"settings" jsonb,
	"linked_at" timestamp (3) with time zone,
	"day" text DEFAULT '' NOT NULL,
	"new_chats" integer DEFAULT 0 NOT NULL,
	"next_new_chat_at" timestamp (3) with time zone,
	"refusals_in_row" integer DEFAULT 0 NOT NULL,
	"paused_at" timestamp (3) with time zone,
	"paused_reason" text,
	"whatsapp_cap" jsonb
);
--> statement-breakpoint
ALTER TABLE "known_chats" ADD CONSTRAINT "known_chats_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lid_mappings" ADD CONSTRAINT "lid_mappings_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recipient_checks" ADD CONSTRAINT "recipient_checks_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "send_governor" ADD CONSTRAINT "send_governor_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lid_mappings_phone_idx" ON "lid_mappings" USING btree ("session_id","phone");
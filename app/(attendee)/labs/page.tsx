import { redirect } from "next/navigation";
import { listLabs } from "@/lib/labs";

export default function LabsIndex() {
  redirect(`/labs/${listLabs()[0].slug}`);
}
